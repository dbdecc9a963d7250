import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createStreamsClient } from '../../aws/clients.js';
import { BUILT_IN_HANDLER_ENTRY, type Stack } from '../../config/stack.js';
import { CheckpointStore } from '../../esm/checkpointStore.js';
import { runEventSourceMapping } from '../../esm/mapping.js';
import { countMessages, writeOnFailureMessage } from '../../esm/onFailureQueue.js';
import { esmSettingsFromStack } from '../../esm/settings.js';
import { applyEsmEvent, type EsmStats, emptyEsmStats } from '../../esm/stats.js';
import { startLocalRuntime } from '../../runtime/localRuntime.js';
import { packageRoot } from '../../util/packageRoot.js';
import { isSameProcess, type ProcessIdentity } from '../../util/processes.js';
import { type Clock, systemClock } from '../../util/time.js';
import { TargetError } from '../errors.js';
import type { StatusReport } from '../types.js';
import { pipelinePaths } from './paths.js';
import { localConnection } from './stack.js';
import type { LocalState } from './state.js';

export { pipelinePaths } from './paths.js';

/** What `esm/status.json` holds while the runner lives. */
export interface RunnerStatus extends EsmStats {
  state: 'Enabled' | 'Disabled';
  pid: number;
  updatedAt: string;
}

/**
 * The handler source to bundle: `function.entry` relative to the stack file.
 * Without a handler of their own (the default entry is absent), users get the
 * orders handler that ships with ddb-ingest.
 */
export function resolveHandlerEntry(
  stack: Stack,
  stackDir: string,
  defaultEntry = BUILT_IN_HANDLER_ENTRY,
): string {
  const entry = path.resolve(stackDir, stack.function.entry);
  if (existsSync(entry)) return entry;
  const bundled = path.join(packageRoot(), defaultEntry);
  if (stack.function.entry === defaultEntry && existsSync(bundled)) return bundled;
  throw new TargetError(
    'targets.entry-missing',
    `function.entry ${stack.function.entry} does not exist (looked for ${entry}).`,
    { details: { entry: stack.function.entry, path: entry } },
  );
}

/** The part of the function's environment the stack file alone decides. */
export function handlerEnvironment(stack: Stack): Record<string, string> {
  return {
    ...stack.function.environment,
    SINK_TABLE_NAME: stack.sink_table.name,
    POWERTOOLS_SERVICE_NAME: stack.name,
    POWERTOOLS_METRICS_NAMESPACE: stack.name,
    POWERTOOLS_LOG_LEVEL: stack.function.environment.POWERTOOLS_LOG_LEVEL ?? 'INFO',
    AWS_REGION: stack.region,
    AWS_DEFAULT_REGION: stack.region,
  };
}

/** The function's environment: where the key is (never the key), and DynamoDB Local for the SDK. */
export function functionEnvironment(stack: Stack, state: LocalState): Record<string, string> {
  return {
    ...handlerEnvironment(stack),
    PII_KEY_FILE: state.piiKeyFile,
    AWS_REGION: state.region,
    AWS_DEFAULT_REGION: state.region,
    AWS_ACCESS_KEY_ID: 'ddblocal',
    AWS_SECRET_ACCESS_KEY: 'ddblocal',
    AWS_ENDPOINT_URL_DYNAMODB: state.dynamodb.endpoint,
    // The local runtime runs on the machine's Node (20 here), which the SDK warns about on every cold start.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

export interface LocalPipelineOptions {
  stack: Stack;
  stateDir: string;
  /**
   * Directory of the stack file. With it, the pipeline builds the handler when
   * its sources changed since the last build; without it, it runs the bundle
   * the last build left in the state dir.
   */
  stackDir?: string;
  state: LocalState;
  /** Stops polling; the batch in flight finishes and its checkpoint is kept. */
  signal: AbortSignal;
  clock?: Clock;
  /** Poll interval of an idle shard (AWS: about 250 ms). */
  pollIntervalMs?: number;
  /** Messages worth a line in the runner log (recoveries, trimmed data). */
  onNotice?: (text: string) => void;
  /** Every status snapshot, for `up --foreground`. */
  onStatus?: (status: RunnerStatus) => void;
}

async function writeStatus(file: string, status: RunnerStatus): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(status)}\n`);
  await rename(tmp, file);
}

/**
 * Runs the local event source mapping until `signal` aborts: stream ->
 * mapping -> handler bundle in the local runtime; on-failure messages to the
 * local queue; live totals to `esm/status.json`.
 */
export async function runLocalPipeline(options: LocalPipelineOptions): Promise<void> {
  const { stack, stateDir, state, signal } = options;
  const clock = options.clock ?? systemClock;
  const paths = pipelinePaths(stateDir);
  const settings = esmSettingsFromStack(stack.event_source_mapping);
  await mkdir(paths.esmDir, { recursive: true });
  const stats = emptyEsmStats();
  const snapshot = (): RunnerStatus => ({
    state: settings.Enabled && !signal.aborted ? 'Enabled' : 'Disabled',
    pid: process.pid,
    updatedAt: new Date(clock.now()).toISOString(),
    ...stats,
  });
  const publish = async () => {
    const status = snapshot();
    await writeStatus(paths.statusFile, status);
    options.onStatus?.(status);
  };
  await publish();
  const ticker = setInterval(() => void publish().catch(() => {}), 500);
  try {
    if (!settings.Enabled) {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      return;
    }
    const env = functionEnvironment(stack, state);
    const bundleFile = await currentBundleFile(stack, stateDir, options.stackDir, env);
    const runtime = await startLocalRuntime({
      bundleFile,
      handlerExport: stack.function.handler,
      functionName: stack.function.name,
      timeoutSeconds: stack.function.timeout,
      memoryMb: stack.function.memory_size,
      runtime: stack.function.runtime,
      env,
      logDir: paths.logDir,
      clock,
      maxConcurrency: settings.ParallelizationFactor * 4,
    });
    // A new build (up, up --watch, replay) is picked up between batches: an
    // invocation in flight ends on the code it started with.
    const { followBuilds } = await import('./bundle.js');
    const builds = followBuilds(stateDir, async (next) => {
      await runtime.swapBundle(next);
      options.onNotice?.(`handler rebuilt: new invocations run ${path.basename(next)} from the new build`);
    });
    const streams = await createStreamsClient(localConnection(state));
    try {
      await runEventSourceMapping({
        streams,
        streamArn: state.tables.streamArn,
        region: state.region,
        settings,
        functionArn: runtime.functionArn,
        invoke: (records) => runtime.invoke({ Records: records }),
        checkpoints: await CheckpointStore.open(paths.esmDir, state.tables.streamArn),
        onFailure: async (message) => {
          await writeOnFailureMessage(paths.dlqDir, message);
        },
        onEvent: (event) => applyEsmEvent(stats, event),
        onNotice: (notice) =>
          options.onNotice?.(
            notice.type === 'recovered'
              ? `shard ${notice.info.shardId}: recovered (${notice.info.reason}) from ${notice.info.from}`
              : `shard ${notice.info.shardId}: data before the checkpoint was trimmed; going on from the oldest record held`,
          ),
        clock,
        signal,
        pollIntervalMs: options.pollIntervalMs,
        // DynamoDB Local rounds ApproximateCreationDateTime down to the minute.
        creationTimeResolutionMs: 60_000,
      });
    } finally {
      builds.stop();
      streams.destroy();
      await runtime.stop();
    }
  } finally {
    clearInterval(ticker);
    await publish().catch(() => {});
  }
}

/** The bundle to run: rebuilt from the sources when they changed (with `stackDir`), else the last build's. */
export async function currentBundleFile(
  stack: Stack,
  stateDir: string,
  stackDir: string | undefined,
  env: Record<string, string>,
): Promise<string> {
  if (stackDir !== undefined) {
    const { ensureCurrentBundle } = await import('./bundle.js');
    return (await ensureCurrentBundle(stack, stackDir, stateDir, env)).bundleFile;
  }
  const { readBuildManifest } = await import('../../bundle/build.js');
  const manifest = await readBuildManifest(pipelinePaths(stateDir).buildDir);
  if (!manifest) {
    throw new TargetError('targets.bundle-not-built', 'The handler has not been built yet.', {
      details: { stateDir },
    });
  }
  return manifest.bundleFile;
}

/** The runner's last snapshot, if it ever wrote one. */
export async function readRunnerStatus(stateDir: string): Promise<RunnerStatus | undefined> {
  try {
    return JSON.parse(await readFile(pipelinePaths(stateDir).statusFile, 'utf8')) as RunnerStatus;
  } catch {
    return undefined;
  }
}

/** `status`'s view of the runner: its last snapshot and the on-failure queue's depth. */
export async function readPipelineStatus(
  stateDir: string,
  runner: ProcessIdentity | undefined,
): Promise<Pick<StatusReport, 'esm' | 'dlq'>> {
  const paths = pipelinePaths(stateDir);
  const status = await readRunnerStatus(stateDir);
  const alive = isSameProcess(runner) && status?.pid === runner?.pid;
  return {
    esm: {
      state: alive && status ? status.state : 'Disabled',
      lastProcessingResult: status?.batchesInvoked ? status.lastProcessingResult : null,
      iteratorAgeMs: status?.iteratorAgeMs ?? null,
      iteratorAgeMeasuredAt:
        status?.lastInvokedAt !== null && status?.lastInvokedAt !== undefined
          ? new Date(status.lastInvokedAt).toISOString()
          : null,
      caughtUp: Boolean(alive && status?.state === 'Enabled' && status.caughtUp),
      recordsProcessed: status?.recordsProcessed ?? 0,
      batchesFailed: status?.batchesFailed ?? 0,
    },
    dlq: { messages: await countMessages(paths.dlqDir) },
  };
}
