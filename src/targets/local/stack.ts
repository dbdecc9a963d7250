import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type AwsConnection, createDynamoDbClient, LOCAL_CREDENTIALS } from '../../aws/clients.js';
import type { Stack } from '../../config/stack.js';
import { describeTable, ensureTables } from '../../dynamo/tables.js';
import { TargetError } from '../errors.js';
import type { StatusReport, UpResult } from '../types.js';
import { isProcessAlive, startDynamoDbLocal, stopProcess, waitForDynamoDb } from './dynamodbLocal.js';
import { ensurePiiKeyFile } from './secret.js';
import { type LocalState, readLocalState, stateFile, writeLocalState } from './state.js';

/** Options of the local `up`. */
export interface LocalUpOptions {
  /** DynamoDB Local's port. */
  port: number;
  /** Keep the database in `<stateDir>/data` across down/up instead of in memory. */
  persist: boolean;
  /** Progress messages for the CLI to render. */
  onStep?: (message: string) => void;
  /** Directory of the stack file: `function.entry` is relative to it. */
  stackDir: string;
  /** The stack file given with --config, passed on to the background runner. */
  configFile?: string;
  /**
   * Start the event source mapping in a background process (default). `up
   * --foreground` runs it in the CLI's own process instead.
   */
  startRunner?: boolean;
}

export interface LocalStackPaths {
  stack: Stack;
  stateDir: string;
}

export function localConnection(state: Pick<LocalState, 'dynamodb' | 'region'>): AwsConnection {
  return { region: state.region, endpoint: state.dynamodb.endpoint, credentials: LOCAL_CREDENTIALS };
}

/** The running local stack's state, or a clear error telling the user to run `up`. */
export async function requireLocalStack(stateDir: string): Promise<LocalState> {
  const state = await readLocalState(stateDir);
  if (!state || !isProcessAlive(state.dynamodb.pid)) {
    throw new TargetError('targets.local-not-running', 'The local stack is not running.', {
      details: { stateDir },
    });
  }
  return state;
}

/**
 * Starts DynamoDB Local (unless it already runs), creates the tables and the
 * local PII key, and records everything in the state dir. Running it again
 * is harmless.
 */
export async function localUp(
  { stack, stateDir }: LocalStackPaths,
  options: LocalUpOptions,
): Promise<UpResult> {
  const step = options.onStep ?? (() => {});
  // The handler is built and checked before anything starts: a missing entry,
  // a syntax error or a missing export fails `up` with nothing left running.
  // A running pipeline picks up a changed bundle between two batches.
  step('Building the handler bundle');
  const [{ ensureCurrentBundle }, { handlerEnvironment }] = await Promise.all([
    import('./bundle.js'),
    import('./pipeline.js'),
  ]);
  await ensureCurrentBundle(stack, options.stackDir, stateDir, handlerEnvironment(stack));
  const previous = await readLocalState(stateDir);
  let dynamodb: LocalState['dynamodb'];
  let alreadyRunning = false;
  if (previous && isProcessAlive(previous.dynamodb.pid)) {
    await waitForDynamoDb(previous.dynamodb.endpoint, 10_000, () => isProcessAlive(previous.dynamodb.pid));
    dynamodb = previous.dynamodb;
    alreadyRunning = true;
    step(`DynamoDB Local already running on ${dynamodb.endpoint}`);
  } else {
    // A runner left from a DynamoDB Local that died would poll a dead endpoint next to the new one.
    if (previous?.runner && isProcessAlive(previous.runner.pid))
      await stopProcess(previous.runner.pid, 35_000);
    const dbPath = options.persist ? path.join(stateDir, 'data') : undefined;
    step(`Starting DynamoDB Local on port ${options.port}${dbPath ? ' (persistent)' : ' (in memory)'}`);
    const running = await startDynamoDbLocal({
      port: options.port,
      dbPath,
      detached: true,
      logFile: path.join(stateDir, 'dynamodb.log'),
      workDir: stateDir,
    });
    dynamodb = {
      pid: running.pid,
      port: running.port,
      endpoint: running.endpoint,
      ...(dbPath ? { dbPath } : {}),
      startedAt: new Date().toISOString(),
    };
  }
  const conn = localConnection({ dynamodb, region: stack.region });
  const client = await createDynamoDbClient(conn);
  try {
    step('Creating tables');
    const tables = await ensureTables(client, stack);
    const piiKeyFile = await ensurePiiKeyFile(stateDir);
    const state: LocalState = { version: 1, region: stack.region, dynamodb, tables, piiKeyFile };
    const runnerAlive = previous?.runner && alreadyRunning && isProcessAlive(previous.runner.pid);
    if (runnerAlive && previous?.runner) state.runner = previous.runner;
    await writeLocalState(stateDir, state);
    if (!runnerAlive) {
      if (options.startRunner !== false) {
        step('Starting the event source mapping');
        state.runner = await startRunner(stateDir, options.configFile);
        await writeLocalState(stateDir, state);
      }
    }
    return {
      target: 'local',
      endpoint: dynamodb.endpoint,
      region: stack.region,
      tables: { source: tables.source, sink: tables.sink },
      streamArn: tables.streamArn,
      alreadyRunning,
      persist: Boolean(dynamodb.dbPath),
    };
  } finally {
    client.destroy();
  }
}

/** Starts the background runner and waits until it reports its first status. */
async function startRunner(
  stateDir: string,
  configFile: string | undefined,
): Promise<{ pid: number; startedAt: string }> {
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
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) break;
    const written = await stat(paths.statusFile).catch(() => undefined);
    if (written && written.mtimeMs >= startedAt.getTime() - 1000)
      return { pid, startedAt: startedAt.toISOString() };
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
}

/** Stops what `up` started; `purge` also deletes data, checkpoints, logs and the key. */
export async function localDown(stateDir: string, options: { purge: boolean }): Promise<DownResult> {
  const state = await readLocalState(stateDir);
  const stopped: string[] = [];
  if (state?.runner && isProcessAlive(state.runner.pid)) {
    // SIGTERM lets the runner finish its in-flight batch and persist the checkpoint.
    await stopProcess(state.runner.pid, 35_000);
    stopped.push(`event source mapping (pid ${state.runner.pid})`);
  }
  if (state && isProcessAlive(state.dynamodb.pid)) {
    await stopProcess(state.dynamodb.pid);
    stopped.push(`DynamoDB Local (pid ${state.dynamodb.pid})`);
  }
  if (options.purge) {
    await rm(stateDir, { recursive: true, force: true });
  } else {
    await rm(stateFile(stateDir), { force: true });
  }
  return { stopped, purged: options.purge };
}

export async function localStatus({ stack, stateDir }: LocalStackPaths): Promise<StatusReport> {
  const state = await readLocalState(stateDir);
  const running = Boolean(state && isProcessAlive(state.dynamodb.pid));
  let sourceExists = false;
  let sinkExists = false;
  let streamArn: string | null = state?.tables.streamArn ?? null;
  if (state && running) {
    const client = await createDynamoDbClient({ ...localConnection(state), maxAttempts: 1 });
    try {
      const source = await describeTable(client, stack.source_table.name);
      sourceExists = Boolean(source);
      streamArn = source?.LatestStreamArn ?? null;
      sinkExists = Boolean(await describeTable(client, stack.sink_table.name));
    } finally {
      client.destroy();
    }
  }
  const { readPipelineStatus } = await import('./pipeline.js');
  const esm = await readPipelineStatus(stateDir, state?.runner?.pid);
  return {
    target: 'local',
    running,
    endpoint: running && state ? state.dynamodb.endpoint : null,
    region: stack.region,
    tables: { source: stack.source_table.name, sink: stack.sink_table.name, sourceExists, sinkExists },
    streamArn,
    function: { name: stack.function.name },
    ...esm,
    processes: {
      dynamodb: running && state ? state.dynamodb.pid : null,
      runner: state?.runner && isProcessAlive(state.runner.pid) ? state.runner.pid : null,
    },
  };
}
