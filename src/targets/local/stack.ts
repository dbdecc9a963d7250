import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type AwsConnection, createDynamoDbClient, LOCAL_CREDENTIALS } from '../../aws/clients.js';
import { type StackModel, singlePipelineModel } from '../../config/model.js';
import type { Stack } from '../../config/stack.js';
import { describeTable, ensureModelTables } from '../../dynamo/tables.js';
import {
  identify,
  isPidAlive,
  isSameProcess,
  ownedProcesses,
  startTimeOf,
  stopProcess,
} from '../../util/processes.js';
import { TargetError } from '../errors.js';
import type { StatusReport, UpResult } from '../types.js';
import { dynamoDbAnswers, startDynamoDbLocal, waitForDynamoDb } from './dynamodbLocal.js';
import { LOCK_FILE, lockStateDir } from './lock.js';
import { claimEntries, type PurgeResult, purgeStateDir, removeIfEmpty } from './manifest.js';
import { STATE_ENTRIES } from './paths.js';
import { liveProcesses, type ProcessRole, registerProcess, unregisterProcesses } from './processRegistry.js';
import { ensurePiiKeyFile } from './secret.js';
import { type LocalState, readLocalState, stateFile, writeLocalState } from './state.js';
import { prepareStateDir } from './stateDir.js';

/** Options of the local `up`. */
export interface LocalUpOptions {
  /** DynamoDB Local's port. */
  port: number;
  /** Keep the database in `<stateDir>/data` across down/up instead of in memory. */
  persist: boolean;
  /** Progress messages for the CLI to render. */
  onStep?: ((message: string) => void) | undefined;
  /** Directory of the stack file: `function.entry` is relative to it. */
  stackDir: string;
  /** The stack file given with --config, passed on to the background runner. */
  configFile?: string | undefined;
  /**
   * Start the event source mapping in a background process (default). `up
   * --foreground` runs it in the CLI's own process instead.
   */
  startRunner?: boolean | undefined;
  /**
   * `up --foreground`: the mapping will run in this process. Refused when a
   * background runner already runs; this process is recorded as the runner.
   */
  foreground?: boolean | undefined;
  /** Who takes the state dir's lock, for whoever waits for it. @default 'up' */
  command?: string | undefined;
  /** Ctrl-C: stop at the next step; what this call started is stopped. */
  signal?: AbortSignal | undefined;
  /** Things worth telling the user (processes an earlier crash left and that were stopped). */
  onNotice?: ((message: string) => void) | undefined;
  /** After a failure or an interruption: what this call had started and has stopped. */
  onCleanup?: ((stopped: string[]) => void) | undefined;
}

export interface LocalStackPaths {
  stack: Stack;
  stateDir: string;
  /** Every table and function of the stack; without it, the single pipeline of `stack`. */
  model?: StackModel | undefined;
}

/** The model to run: the given one, or the single pipeline of `stack`. */
export const stackModelOf = ({ stack, model }: Pick<LocalStackPaths, 'stack' | 'model'>): StackModel =>
  model ?? singlePipelineModel(stack);

export function localConnection(state: Pick<LocalState, 'dynamodb' | 'region'>): AwsConnection {
  return { region: state.region, endpoint: state.dynamodb.endpoint, credentials: LOCAL_CREDENTIALS };
}

/**
 * The local up and demo start their own DynamoDB Local, so an explicit endpoint
 * cannot be where they put the stack: refused rather than silently ignored.
 */
export function refuseExplicitEndpoint(endpoint: string | undefined, command: 'up' | 'demo'): void {
  if (endpoint === undefined) return;
  throw new TargetError(
    'targets.endpoint-with-local-up',
    `The local ${command} starts its own DynamoDB Local; it cannot use ${endpoint}.`,
    { details: { endpoint, command } },
  );
}

/** The running local stack's state, or a clear error telling the user to run `up`. */
export async function requireLocalStack(stateDir: string): Promise<LocalState> {
  const state = await readLocalState(stateDir);
  if (!state || !isSameProcess(state.dynamodb)) {
    throw new TargetError('targets.local-not-running', 'The local stack is not running.', {
      details: { stateDir },
    });
  }
  // Alive but silent (stopped, hung, out of memory): say so now instead of letting every call time out.
  if (!(await dynamoDbAnswers(state.dynamodb.endpoint, DEAD_AFTER_MS))) {
    throw new TargetError(
      'targets.dynamodb-not-answering',
      `DynamoDB Local (pid ${state.dynamodb.pid}) runs but did not answer on ${state.dynamodb.endpoint} within ${DEAD_AFTER_MS / 1000} s.`,
      {
        details: {
          stateDir,
          pid: state.dynamodb.pid,
          logFile: path.join(stateDir, STATE_ENTRIES.dynamodbLog),
        },
      },
    );
  }
  return state;
}

/** @default 5000 ms: how long a running DynamoDB Local may take to answer before it counts as dead. */
const DEAD_AFTER_MS = 5_000;

/** `up --foreground` was asked for a stack whose mapping already runs in the background. */
function alreadyRunningError(stateDir: string, runnerPid: number): TargetError {
  return new TargetError(
    'targets.already-running-in-background',
    `The local stack in ${stateDir} already runs its event source mapping in the background (pid ${runnerPid}); a second one would process every record twice.`,
    { details: { stateDir, pid: runnerPid } },
  );
}

/** What a local `up` started, for `stopStarted` when it fails halfway. */
interface Started {
  role: ProcessRole;
  pid: number;
}

const describeProcess = (role: ProcessRole, pid: number) =>
  role === 'runner' ? `event source mapping (pid ${pid})` : `DynamoDB Local (pid ${pid})`;

/**
 * Starts DynamoDB Local (unless it already runs), creates the tables and the
 * local PII key, and records everything in the state dir. Running it again
 * is harmless; two at once on one state dir take turns (the second finds the
 * stack up). If it fails or is interrupted, whatever it started is stopped.
 */
export async function localUp(
  { stack, stateDir, model }: LocalStackPaths,
  options: LocalUpOptions,
): Promise<UpResult> {
  // Settings the runner would refuse (a bad filter pattern) fail here, before anything starts.
  const { planMappings } = await import('./mappings.js');
  planMappings(stackModelOf({ stack, model }), stateDir);
  const { created } = await prepareStateDir(stateDir);
  await claimEntries(stateDir, { createdDir: created });
  const lock = await lockStateDir(stateDir, {
    command: options.command ?? 'up',
    signal: options.signal,
    onWait: (holder) =>
      options.onNotice?.(
        `Waiting for another ddb-ingest ${holder.command} (pid ${holder.pid}) that is working on ${stateDir}`,
      ),
  });
  const started: Started[] = [];
  const previous = await readLocalState(stateDir);
  try {
    return await upLocked(
      { stack, stateDir, model: stackModelOf({ stack, model }) },
      options,
      previous,
      started,
    );
  } catch (err) {
    const stopped = await stopStarted(stateDir, started, previous);
    if (stopped.length > 0) options.onCleanup?.(stopped);
    throw err;
  } finally {
    await lock.release();
  }
}

/** Stops what a failed `up` started, newest first, and puts the state back as it was. */
async function stopStarted(
  stateDir: string,
  started: Started[],
  previous: LocalState | undefined,
): Promise<string[]> {
  const stopped: string[] = [];
  for (const p of [...started].reverse()) {
    await stopProcess(p.pid, p.role === 'runner' ? 2_000 : 1_000);
    ownedProcesses.delete(p.pid);
    stopped.push(describeProcess(p.role, p.pid));
  }
  await unregisterProcesses(
    stateDir,
    started.map((p) => p.pid),
  ).catch(() => {});
  if (started.length > 0) {
    if (previous && isSameProcess(previous.dynamodb))
      await writeLocalState(stateDir, previous).catch(() => {});
    else await rm(stateFile(stateDir), { force: true });
  }
  return stopped;
}

/** Processes of this state dir that the registry knows but the state does not: left by a crash. */
async function stopStrays(stateDir: string, previous: LocalState | undefined): Promise<string[]> {
  const known = new Set<number>();
  if (previous && isSameProcess(previous.dynamodb)) {
    known.add(previous.dynamodb.pid);
    if (previous.runner && isSameProcess(previous.runner)) known.add(previous.runner.pid);
  }
  const strays = (await liveProcesses(stateDir)).filter((p) => !known.has(p.pid) && p.pid !== process.pid);
  for (const p of strays) await stopProcess(p.pid, p.role === 'runner' ? 5_000 : 2_000);
  if (strays.length > 0)
    await unregisterProcesses(
      stateDir,
      strays.map((p) => p.pid),
    );
  return strays.map((p) => describeProcess(p.role, p.pid));
}

async function upLocked(
  { stack, stateDir, model }: LocalStackPaths & { model: StackModel },
  options: LocalUpOptions,
  previous: LocalState | undefined,
  started: Started[],
): Promise<UpResult> {
  const step = options.onStep ?? (() => {});
  const signal = options.signal;
  // The handler is built and checked before anything starts: a missing entry,
  // a syntax error or a missing export fails `up` with nothing left running.
  // A running pipeline picks up a changed bundle between two batches.
  const functions = Object.values(model.functions);
  step(
    functions.length > 1
      ? `Building the handler bundles (${functions.length} functions)`
      : 'Building the handler bundle',
  );
  const { ensureModelBundles } = await import('./bundle.js');
  await ensureModelBundles(model, options.stackDir, stateDir, signal ? { signal } : {});
  const strays = await stopStrays(stateDir, previous);
  if (strays.length > 0)
    options.onNotice?.(`Stopped what an earlier ddb-ingest left running: ${strays.join(', ')}`);
  let dynamodb: LocalState['dynamodb'];
  let alreadyRunning = false;
  const previousRunner = previous?.runner && isSameProcess(previous.runner) ? previous.runner : undefined;
  if (previous && isSameProcess(previous.dynamodb)) {
    if (options.foreground && previousRunner && previousRunner.pid !== process.pid) {
      throw alreadyRunningError(stateDir, previousRunner.pid);
    }
    await waitForDynamoDb(previous.dynamodb.endpoint, 10_000, () => isSameProcess(previous.dynamodb), signal);
    dynamodb = previous.dynamodb;
    alreadyRunning = true;
    step(`DynamoDB Local already running on ${dynamodb.endpoint}`);
  } else {
    // A runner left from a DynamoDB Local that died would poll a dead endpoint next to the new one.
    if (previousRunner && !previousRunner.foreground) await stopProcess(previousRunner.pid, 35_000);
    const dbPath = options.persist ? path.join(stateDir, STATE_ENTRIES.data) : undefined;
    step(`Starting DynamoDB Local on port ${options.port}${dbPath ? ' (persistent)' : ' (in memory)'}`);
    const running = await startDynamoDbLocal({
      port: options.port,
      dbPath,
      detached: true,
      logFile: path.join(stateDir, STATE_ENTRIES.dynamodbLog),
      workDir: stateDir,
      signal,
      onSpawn: async (pid) => {
        started.push({ role: 'dynamodb-local', pid });
        ownedProcesses.add(pid);
        await registerProcess(stateDir, { role: 'dynamodb-local', ...identify(pid) });
      },
    });
    dynamodb = {
      pid: running.pid,
      port: running.port,
      endpoint: running.endpoint,
      ...(dbPath ? { dbPath } : {}),
      startedAt: new Date().toISOString(),
      ...startTimeOf(running.pid),
    };
  }
  signal?.throwIfAborted();
  const conn = localConnection({ dynamodb, region: stack.region });
  const client = await createDynamoDbClient(conn);
  try {
    step('Creating tables');
    const created = await ensureModelTables(client, model);
    const streams = Object.fromEntries(
      Object.entries(created).flatMap(([name, t]) => (t.streamArn ? [[name, t.streamArn]] : [])),
    );
    const tables = primaryTables(model, streams);
    signal?.throwIfAborted();
    const piiKeyFile = await ensurePiiKeyFile(stateDir);
    const state: LocalState = { version: 1, region: stack.region, dynamodb, tables, streams, piiKeyFile };
    const { planMappings } = await import('./mappings.js');
    const statusFiles = planMappings(model, stateDir).map((plan) => plan.paths.statusFile);
    const runnerAlive = alreadyRunning && previousRunner !== undefined && !options.foreground;
    if (runnerAlive) state.runner = previousRunner;
    await writeLocalState(stateDir, state);
    if (!runnerAlive) {
      if (options.foreground) {
        // The mapping runs in this very process: `status` and a second `up` must see it as the runner.
        state.runner = {
          pid: process.pid,
          startedAt: new Date().toISOString(),
          ...startTimeOf(process.pid),
          foreground: true,
        };
        await writeLocalState(stateDir, state);
      } else if (options.startRunner !== false && statusFiles.length > 0) {
        step(
          statusFiles.length > 1
            ? `Starting the event source mappings (${statusFiles.length})`
            : 'Starting the event source mapping',
        );
        state.runner = await startRunner(stateDir, statusFiles, options.configFile, signal, (pid) => {
          started.push({ role: 'runner', pid });
          ownedProcesses.add(pid);
          return registerProcess(stateDir, { role: 'runner', ...identify(pid) });
        });
        await writeLocalState(stateDir, state);
      }
    }
    // Recorded for later commands now: no longer this run's to kill if it is cut short (foreground: still is).
    if (!options.foreground) for (const p of started) ownedProcesses.delete(p.pid);
    return {
      target: 'local',
      endpoint: dynamodb.endpoint,
      region: stack.region,
      tables: { source: tables.source, sink: tables.sink },
      streamArn: tables.streamArn,
      streams,
      alreadyRunning,
      persist: Boolean(dynamodb.dbPath),
      port: dynamodb.port,
    };
  } finally {
    client.destroy();
  }
}

/**
 * The tables the single-stream commands (and `status`'s `tables`) work on:
 * the built-in pipeline's, or on a stack without it the first mapping's
 * table and stream, with the first other table its function names as sink.
 */
export function primaryTables(model: StackModel, streams: Record<string, string>): LocalState['tables'] {
  if (model.pipeline) {
    const { sourceTable, sinkTable } = model.pipeline;
    return { source: sourceTable, sink: sinkTable, streamArn: streams[sourceTable] ?? '' };
  }
  const fns = Object.values(model.functions);
  const mapped = fns.find((fn) => fn.event_sources.length > 0);
  const source =
    mapped?.event_sources[0]?.table ?? Object.keys(streams)[0] ?? Object.keys(model.tables)[0] ?? '';
  const sink = Object.keys(mapped?.tables ?? {}).find((t) => t !== source) ?? '';
  return { source, sink, streamArn: streams[source] ?? '' };
}

/** Starts the background runner and waits until it reports its first status. */
async function startRunner(
  stateDir: string,
  statusFiles: string[],
  configFile: string | undefined,
  signal: AbortSignal | undefined,
  onSpawn: (pid: number) => Promise<void>,
): Promise<{ pid: number; startedAt: string; startTime?: string }> {
  const { spawn } = await import('node:child_process');
  const { openSync } = await import('node:fs');
  const { mkdir, stat } = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  const { pipelinePaths } = await import('./pipeline.js');
  const paths = pipelinePaths(stateDir);
  await mkdir(paths.esmDir, { recursive: true });
  const startedAt = new Date();
  const entry = fileURLToPath(new URL('./runnerProcess.js', import.meta.url));
  const logFd = openSync(paths.runnerLog, 'a');
  const args = [entry, '--state-dir', stateDir, ...(configFile ? ['--config', configFile] : [])];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    throw new TargetError('targets.runner-not-started', 'Could not start the event source mapping process.');
  }
  await onSpawn(pid);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (!isPidAlive(pid)) break;
    // Ready once every mapping has published its first status.
    const written = await Promise.all(statusFiles.map((file) => stat(file).catch(() => undefined)));
    if (written.every((w) => w !== undefined && w.mtimeMs >= startedAt.getTime() - 1000))
      return { pid, startedAt: startedAt.toISOString(), ...startTimeOf(pid) };
    await new Promise((r) => setTimeout(r, 100));
  }
  const { readFile } = await import('node:fs/promises');
  const log = await readFile(paths.runnerLog, 'utf8').catch(() => '');
  await stopProcess(pid, 1000);
  throw new TargetError(
    'targets.runner-failed',
    `The event source mapping did not start. Its log ends with:\n${log.split('\n').slice(-15).join('\n')}`,
    { details: { logFile: paths.runnerLog } },
  );
}

export interface DownResult {
  stopped: string[];
  purged: boolean;
  /** With `purge`: what was deleted and what was kept because the tool did not create it. */
  purge?: PurgeResult & { removedDir: boolean };
}

/**
 * Stops what `up` started (and anything else the state dir's process registry
 * knows, such as what a crashed `up` left); `purge` also deletes what the
 * tool created in the state dir, and only that.
 */
export async function localDown(
  stateDir: string,
  options: { purge: boolean; signal?: AbortSignal | undefined; lockWaitMs?: number | undefined },
): Promise<DownResult> {
  const usable = await stat(stateDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!usable) return { stopped: [], purged: false };
  const lock = await lockStateDir(stateDir, {
    command: 'down',
    signal: options.signal,
    waitMs: options.lockWaitMs,
  });
  try {
    const state = await readLocalState(stateDir);
    const stopped: string[] = [];
    const stopOne = async (role: ProcessRole, pid: number, graceMs: number) => {
      await stopProcess(pid, graceMs);
      stopped.push(describeProcess(role, pid));
    };
    // SIGTERM lets the runner finish its in-flight batch and persist the checkpoint.
    if (state?.runner && state.runner.pid !== process.pid && isSameProcess(state.runner))
      await stopOne('runner', state.runner.pid, 35_000);
    if (state && isSameProcess(state.dynamodb)) await stopOne('dynamodb-local', state.dynamodb.pid, 5_000);
    const done = new Set([state?.runner?.pid, state?.dynamodb.pid]);
    for (const p of await liveProcesses(stateDir)) {
      if (done.has(p.pid) || p.pid === process.pid) continue;
      await stopOne(p.role, p.pid, p.role === 'runner' ? 35_000 : 5_000);
    }
    await unregisterProcesses(stateDir, []);
    if (!options.purge) {
      await rm(stateFile(stateDir), { force: true });
      return { stopped, purged: false };
    }
    const purge = await purgeStateDir(stateDir, { ignore: [LOCK_FILE] });
    await lock.release();
    const removedDir = purge.dirRemovable && (await removeIfEmpty(stateDir));
    return { stopped, purged: true, purge: { ...purge, removedDir } };
  } finally {
    await lock.release();
  }
}

export async function localStatus(
  { stack, stateDir, model: given }: LocalStackPaths,
  options: {
    /** Look at the tables on this endpoint instead of the stack's DynamoDB Local. */
    endpoint?: string | undefined;
    /** Only this function's mappings. */
    function?: string | undefined;
  } = {},
): Promise<StatusReport> {
  const model = stackModelOf({ stack, model: given });
  const state = await readLocalState(stateDir);
  const running = Boolean(state && isSameProcess(state.dynamodb));
  const primary = primaryTables(model, state?.streams ?? {});
  const [{ planMappings }, { readMappingStatus }, { selectFunction }] = await Promise.all([
    import('./mappings.js'),
    import('./pipeline.js'),
    import('../../config/select.js'),
  ]);
  const chosen = options.function !== undefined ? selectFunction(model, options.function).name : undefined;
  const plans = planMappings(model, stateDir).filter((p) => chosen === undefined || p.fn.name === chosen);
  let sourceExists = false;
  let sinkExists = false;
  const streams: Record<string, string | null> = { ...(state?.streams ?? {}) };
  if (state?.tables.source) streams[state.tables.source] ??= state.tables.streamArn;
  if ((state && running) || options.endpoint) {
    const conn = state
      ? localConnection(state)
      : { region: stack.region, endpoint: options.endpoint, credentials: LOCAL_CREDENTIALS };
    const client = await createDynamoDbClient({
      ...conn,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      maxAttempts: 1,
    });
    try {
      // DescribeTable, not the state: a recreated table has a new stream.
      for (const table of new Set([primary.source, ...plans.map((p) => p.source.table)])) {
        if (!table) continue;
        const desc = await describeTable(client, table);
        if (table === primary.source) sourceExists = Boolean(desc);
        streams[table] = desc?.LatestStreamArn ?? null;
      }
      sinkExists = primary.sink !== '' && Boolean(await describeTable(client, primary.sink));
    } finally {
      client.destroy();
    }
  }
  const first = plans.find((p) => p.source.table === primary.source) ?? plans[0];
  const esm = first
    ? await readMappingStatus(first.paths, state?.runner)
    : await (await import('./pipeline.js')).readPipelineStatus(stateDir, state?.runner);
  const mappings =
    plans.length > 1 || chosen !== undefined
      ? await Promise.all(
          plans.map(async (p) => ({
            function: p.fn.name,
            table: p.source.table,
            streamArn: streams[p.source.table] ?? null,
            ...(await readMappingStatus(p.paths, state?.runner)),
          })),
        )
      : undefined;
  return {
    target: 'local',
    running,
    endpoint: options.endpoint ?? (running && state ? state.dynamodb.endpoint : null),
    region: stack.region,
    tables: { source: primary.source, sink: primary.sink, sourceExists, sinkExists },
    streamArn: streams[primary.source] ?? null,
    function: { name: first?.fn.name ?? model.pipeline?.function ?? Object.keys(model.functions)[0] ?? '' },
    ...esm,
    ...(mappings ? { mappings } : {}),
    processes: {
      dynamodb: running && state ? state.dynamodb.pid : null,
      runner: state?.runner && isSameProcess(state.runner) ? state.runner.pid : null,
    },
  };
}
