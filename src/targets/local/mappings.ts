import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createStreamsClient } from '../../aws/clients.js';
import type { EventSourceModel, FunctionModel, StackModel } from '../../config/model.js';
import { CheckpointStore } from '../../esm/checkpointStore.js';
import { runEventSourceMapping } from '../../esm/mapping.js';
import { writeOnFailureMessage } from '../../esm/onFailureQueue.js';
import { type EsmSettings, esmSettingsFromStack } from '../../esm/settings.js';
import { applyEsmEvent, type EsmStats, emptyEsmStats } from '../../esm/stats.js';
import { startLocalRuntime } from '../../runtime/localRuntime.js';
import type { StreamsClient } from '../../streams/shards.js';
import { type Clock, systemClock } from '../../util/time.js';
import { TargetError } from '../errors.js';
import {
  entryKey,
  functionPaths,
  localFunctionEnvironment,
  type MappingPaths,
  mappingPaths,
  recordedStreamArn,
  resolveEntry,
} from './functions.js';
import { localConnection } from './stack.js';
import type { LocalState } from './state.js';

/** What a mapping's `status.json` holds while the runner lives. */
export interface RunnerStatus extends EsmStats {
  state: 'Enabled' | 'Disabled';
  pid: number;
  updatedAt: string;
  /** The mapping's function and table (absent in files of an older runner). */
  function?: string;
  table?: string;
  streamArn?: string;
  /** Why the mapping stopped on its own (its stream could not be read), if it did. */
  error?: string;
}

export interface LocalMappingsOptions {
  model: StackModel;
  stateDir: string;
  /**
   * Directory of the stack file. With it, each function's handler is built
   * when its sources changed since the last build; without it, the bundle
   * the last build left in the state dir runs.
   */
  stackDir?: string | undefined;
  state: LocalState;
  /** Stops polling; the batches in flight finish and their checkpoints are kept. */
  signal: AbortSignal;
  clock?: Clock | undefined;
  /** Poll interval of an idle shard (AWS: about 250 ms). */
  pollIntervalMs?: number | undefined;
  /** Messages worth a line in the runner log (recoveries, trimmed data, rebuilds). */
  onNotice?: ((text: string) => void) | undefined;
  /** Every status snapshot of every mapping, for `up --foreground`. */
  onStatus?: ((status: RunnerStatus) => void) | undefined;
}

/** One mapping of the stack, ready to run. */
interface MappingPlan {
  fn: FunctionModel;
  source: EventSourceModel;
  settings: EsmSettings;
  paths: MappingPaths;
  streamArn: string;
}

/** Every mapping of the model with its AWS-named settings, validated as AWS would (a bad filter fails here). */
export function planMappings(model: StackModel, stateDir: string, state?: LocalState): MappingPlan[] {
  return Object.values(model.functions).flatMap((fn) =>
    fn.event_sources.map((source) => ({
      fn,
      source,
      settings: esmSettingsFromStack(source),
      paths: mappingPaths(stateDir, model, fn.name, source.table),
      streamArn: state ? recordedStreamArn(state, source.table) : '',
    })),
  );
}

async function writeStatus(file: string, status: RunnerStatus): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(status)}\n`);
  await rename(tmp, file);
}

/**
 * Runs every event source mapping of the stack until `signal` aborts: one
 * mapping per (function, stream), each with its own checkpoints, on-failure
 * queue, totals (`status.json`) and shard lanes, and one warm runtime pool per
 * function that every mapping of that function invokes. A failing handler
 * holds back only its own mappings: the others read the same stream at their
 * own pace. A mapping whose stream cannot be read stops alone; the runner
 * ends (with that error) once no mapping is left running.
 */
export async function runLocalMappings(options: LocalMappingsOptions): Promise<void> {
  const { model, stateDir, state, signal } = options;
  const clock = options.clock ?? systemClock;
  const plans = planMappings(model, stateDir, state);
  const byFunction = new Map<string, MappingPlan[]>();
  for (const plan of plans) byFunction.set(plan.fn.name, [...(byFunction.get(plan.fn.name) ?? []), plan]);
  const label =
    plans.length > 1 ? (plan: MappingPlan) => `${plan.fn.name} <- ${plan.source.table}: ` : () => '';
  const streams = await createStreamsClient(localConnection(state));
  const failures: unknown[] = [];
  try {
    await Promise.all(
      [...byFunction.values()].map((mappings) =>
        runFunction(mappings, { ...options, clock, streams, label, failures }),
      ),
    );
  } finally {
    streams.destroy();
  }
  if (failures.length > 0 && !signal.aborted) throw failures[0];
}

interface FunctionRun extends LocalMappingsOptions {
  clock: Clock;
  streams: StreamsClient;
  label: (plan: MappingPlan) => string;
  failures: unknown[];
}

/** The mappings of one function, sharing its runtime pool. */
async function runFunction(mappings: MappingPlan[], run: FunctionRun): Promise<void> {
  const { model, stateDir, state, signal, clock } = run;
  const fn = mappings[0]?.fn;
  if (!fn) return;
  const live = mappings.map((plan) => ({
    plan,
    stats: emptyEsmStats(),
    error: undefined as string | undefined,
  }));
  const snapshot = (m: (typeof live)[number]): RunnerStatus => ({
    state: m.plan.settings.Enabled && !signal.aborted && m.error === undefined ? 'Enabled' : 'Disabled',
    pid: process.pid,
    updatedAt: new Date(clock.now()).toISOString(),
    ...m.stats,
    function: fn.name,
    table: m.plan.source.table,
    streamArn: m.plan.streamArn,
    ...(m.error !== undefined ? { error: m.error } : {}),
  });
  const publish = async () => {
    for (const m of live) {
      const status = snapshot(m);
      await writeStatus(m.plan.paths.statusFile, status);
      run.onStatus?.(status);
    }
  };
  for (const m of live) await mkdir(m.plan.paths.esmDir, { recursive: true });
  await publish();
  const ticker = setInterval(() => void publish().catch(() => {}), 500);
  try {
    const enabled = live.filter((m) => m.plan.settings.Enabled);
    if (enabled.length === 0) {
      if (!signal.aborted)
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      return;
    }
    const paths = functionPaths(stateDir, model, fn.name);
    const env = localFunctionEnvironment(model, fn, state);
    const bundleFile = await currentFunctionBundle(model, fn, paths.buildDir, run.stackDir, env);
    const runtime = await startLocalRuntime({
      bundleFile,
      handlerExport: fn.handler,
      functionName: fn.name,
      timeoutSeconds: fn.timeout,
      memoryMb: fn.memory_size,
      runtime: fn.runtime,
      env,
      logDir: paths.logDir,
      clock,
      maxConcurrency: enabled.reduce((sum, m) => sum + m.plan.settings.ParallelizationFactor * 4, 0),
    });
    // A new build (up, up --watch, replay) is picked up between batches: an
    // invocation in flight ends on the code it started with.
    const { followBuildDir } = await import('./bundle.js');
    const builds = followBuildDir(paths.buildDir, async (next) => {
      await runtime.swapBundle(next);
      run.onNotice?.(
        `${fn.name}: handler rebuilt: new invocations run ${path.basename(next)} from the new build`,
      );
    });
    try {
      await Promise.all(
        enabled.map(async (m) => {
          const { plan } = m;
          const prefix = run.label(plan);
          try {
            await runEventSourceMapping({
              streams: run.streams,
              streamArn: plan.streamArn,
              region: state.region,
              settings: plan.settings,
              functionArn: runtime.functionArn,
              invoke: (records) => runtime.invoke({ Records: records }),
              checkpoints: await CheckpointStore.open(plan.paths.esmDir, plan.streamArn),
              onFailure: async (message) => {
                await writeOnFailureMessage(plan.paths.dlqDir, message);
              },
              onEvent: (event) => applyEsmEvent(m.stats, event),
              onNotice: (notice) =>
                run.onNotice?.(
                  prefix +
                    (notice.type === 'recovered'
                      ? `shard ${notice.info.shardId}: recovered (${notice.info.reason}) from ${notice.info.from}`
                      : `shard ${notice.info.shardId}: data before the checkpoint was trimmed; going on from the oldest record held`),
                ),
              clock,
              signal,
              pollIntervalMs: run.pollIntervalMs,
              // DynamoDB Local rounds ApproximateCreationDateTime down to the minute.
              creationTimeResolutionMs: 60_000,
            });
          } catch (err) {
            if (signal.aborted) return;
            m.error = (err as Error)?.message ?? String(err);
            run.failures.push(err);
            run.onNotice?.(`${prefix}mapping stopped: ${m.error}`);
          }
        }),
      );
    } finally {
      builds.stop();
      await runtime.stop();
    }
  } finally {
    clearInterval(ticker);
    await publish().catch(() => {});
  }
}

/** The bundle a function runs: rebuilt from its sources when they changed (with `stackDir`), else its last build. */
export async function currentFunctionBundle(
  model: Pick<StackModel, 'pipeline'>,
  fn: FunctionModel,
  buildDir: string,
  stackDir: string | undefined,
  env: Record<string, string>,
): Promise<string> {
  if (stackDir !== undefined) {
    const { ensureFunctionBundle } = await import('./bundle.js');
    const entry = resolveEntry(fn.entry, stackDir, entryKey(model, fn.name));
    return (await ensureFunctionBundle({ entry, handler: fn.handler }, buildDir, env)).bundleFile;
  }
  const { readBuildManifest } = await import('../../bundle/build.js');
  const manifest = await readBuildManifest(buildDir);
  if (!manifest) {
    throw new TargetError('targets.bundle-not-built', `The handler of ${fn.name} has not been built yet.`, {
      details: { buildDir, function: fn.name },
    });
  }
  return manifest.bundleFile;
}
