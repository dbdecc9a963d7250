import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { lambdaLogGroupName } from '../util/lambda.js';
import { type Clock, systemClock } from '../util/time.js';
import { lambdaEnvironment } from './environment.js';
import { LocalRuntimeError } from './errors.js';
import type { InvokeOutcome } from './invokeOutcome.js';
import { LogStreamWriter, newLogStreamName } from './logStream.js';
import { MemoryWatch } from './memoryWatch.js';

export interface LocalRuntimeOptions {
  /** The handler bundle (ESM or CommonJS JavaScript), e.g. `<stateDir>/build/index.mjs`. */
  bundleFile: string;
  /**
   * The handler's property path in the bundle's module object, as Lambda
   * resolves the part of the handler setting after the module name:
   * `handler`, or `handlers.main` for a nested property.
   */
  handlerExport: string;
  /** The Lambda runtime identifier, for `AWS_EXECUTION_ENV`. @default 'nodejs22.x' */
  runtime?: string;
  functionName: string;
  /** Seconds before an invocation is cut off and its worker killed, as Lambda's timeout. */
  timeoutSeconds: number;
  /**
   * Memory size in MB, as Lambda enforces it: the worker's whole resident set
   * (not only the V8 heap) is held to it; over it, the worker is killed.
   */
  memoryMb: number;
  /**
   * The function's whole environment besides Lambda's reserved variables. Nothing
   * is inherited from the CLI's own environment: credentials and secrets stay out.
   */
  env: Record<string, string>;
  /** Where the log streams go: one `<safe stream name>.ndjson` per worker. */
  logDir: string;
  /** Timestamps of log events and log stream dates; durations use the monotonic clock. */
  clock?: Clock;
  /** Concurrent invocations (one warm worker each); more wait. Default 10. */
  maxConcurrency?: number;
  /** Defaults to `arn:aws:lambda:<AWS_REGION>:000000000000:function:<name>`. */
  functionArn?: string;
}

export interface LocalRuntime {
  readonly functionArn: string;
  /** Runs the handler on `event` in a warm worker (starting one when none is idle). */
  invoke(event: unknown): Promise<InvokeOutcome>;
  /**
   * Runs `bundleFile` from now on: new invocations start cold workers on it;
   * an invocation in flight finishes on the code it started with.
   */
  swapBundle(bundleFile: string): Promise<void>;
  /** Stops every worker; invocations in flight end as crashes. */
  stop(): Promise<void>;
}

/** Where the worker script is: beside this module (sources, or dist/ when copied), else in src/. */
export function workerScriptPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'worker.mjs'), path.resolve(here, '../../src/runtime/worker.mjs')];
  const found = candidates.find((file) => existsSync(file));
  if (!found) {
    throw new LocalRuntimeError(
      'runtime.worker-missing',
      `The local runtime's worker script is missing (looked in ${candidates.join(', ')}).`,
      { details: { candidates } },
    );
  }
  return found;
}

type WorkerMessage =
  | { type: 'log'; text: string }
  | { type: 'ready'; maxRssMb: number }
  | { type: 'initError'; errorType: string; errorMessage: string }
  | { type: 'result'; requestId: string; result: unknown; maxRssMb: number }
  | { type: 'error'; requestId: string; errorType: string; errorMessage: string; maxRssMb: number }
  | { type: 'crash'; errorType: string; errorMessage: string };

/** How Lambda words a signal in "Runtime exited with error: signal: ..." (Go's names). */
const SIGNAL_NAMES: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
};

/** The fd the worker writes its messages to (see worker.mjs). */
const CHANNEL_FD = 4;

type InitResult =
  | { ok: true; initMs: number }
  | { ok: false; errorType: string; errorMessage: string; crashed: boolean };

interface Pending {
  requestId: string;
  timer?: NodeJS.Timeout;
  resolve(outcome: InvokeOutcome): void;
}

/** Everything the worker needs in its environment; built from scratch, never from process.env. */
function workerEnv(options: LocalRuntimeOptions, logStreamName: string): Record<string, string> {
  return lambdaEnvironment(
    {
      functionName: options.functionName,
      memoryMb: options.memoryMb,
      runtime: options.runtime,
      handler: `${path.parse(options.bundleFile).name}.${options.handlerExport}`,
      logGroupName: lambdaLogGroupName(options.functionName),
      logStreamName,
      taskRoot: path.dirname(path.resolve(options.bundleFile)),
      runtimeDir: path.dirname(workerScriptPath()),
    },
    options.env,
  );
}

/** One warm "container": a forked worker with its own log stream. */
class Worker {
  readonly logs: LogStreamWriter;
  readonly init: Promise<InitResult>;
  private readonly child: ChildProcess;
  private pending: Pending | undefined;
  private crash: { errorType: string; errorMessage: string } | undefined;
  private rawStderr = '';
  private exited = false;
  /** Set when the worker must not take another invocation (it is being killed). */
  private retired = false;
  /** Set when the worker was killed for going over its memory size. */
  private outOfMemory = false;
  private timedOut = false;
  /** Set by stop(): the exit that follows is not a crash. */
  private stopping = false;
  private readonly exitPromise: Promise<void>;
  private flushTimer: NodeJS.Timeout;
  private readonly memory: MemoryWatch | undefined;
  private reportedMaxRssMb = 0;
  coldStart = true;

  constructor(
    private readonly options: LocalRuntimeOptions,
    private readonly clock: Clock,
    /** Which bundle this worker runs: the runtime's count of swaps when it started. */
    readonly generation = 0,
  ) {
    const logStreamName = newLogStreamName(clock.now());
    this.logs = new LogStreamWriter(options.logDir, logStreamName, clock);
    const forkedAt = performance.now();
    this.child = fork(workerScriptPath(), [path.resolve(options.bundleFile), options.handlerExport], {
      env: workerEnv(options, logStreamName),
      // The heap cap makes V8 fail the way Lambda's runtime does before the
      // process limit; source maps give stack traces in the user's files.
      execArgv: [`--max-old-space-size=${options.memoryMb}`, '--enable-source-maps'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
      cwd: path.dirname(path.resolve(options.bundleFile)),
    });
    // Native output (V8's out-of-memory report) bypasses the worker's patched streams.
    // A send to a worker that just died reports here; its exit handler settles the invocation.
    this.child.on('error', () => {});
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => this.logs.text('stdout', text));
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.rawStderr = (this.rawStderr + text).slice(-4096);
      this.logs.text('stderr', text);
    });
    this.flushTimer = setInterval(() => void this.logs.flush().catch(() => {}), 250);
    this.flushTimer.unref();
    if (this.child.pid !== undefined) {
      this.memory = new MemoryWatch(this.child.pid, options.memoryMb, () => {
        this.outOfMemory = true;
        this.retired = true;
        this.child.kill('SIGKILL');
      });
    }

    let settleInit: (result: InitResult) => void = () => {};
    this.init = new Promise((resolve) => {
      settleInit = resolve;
    });
    const onMessage = (message: WorkerMessage) => {
      switch (message.type) {
        case 'log':
          this.logs.text('ipc', message.text);
          break;
        case 'ready':
          this.reportedMaxRssMb = message.maxRssMb;
          settleInit({ ok: true, initMs: performance.now() - forkedAt });
          break;
        case 'initError':
          this.logs.line(
            `INIT_REPORT Init Duration: ${(performance.now() - forkedAt).toFixed(2)} ms\tPhase: init\tStatus: error\tError Type: ${message.errorType}`,
          );
          settleInit({
            ok: false,
            errorType: message.errorType,
            errorMessage: message.errorMessage,
            crashed: false,
          });
          break;
        case 'result':
        case 'error':
          this.reportedMaxRssMb = Math.max(this.reportedMaxRssMb, message.maxRssMb);
          // A peak between two samples still counts: Lambda would have killed the process.
          if (this.reportedMaxRssMb > options.memoryMb) {
            this.outOfMemory = true;
            this.retired = true;
            this.child.kill('SIGKILL');
            break;
          }
          this.finish(
            message.type === 'result'
              ? { ok: true, result: message.result, requestId: message.requestId }
              : {
                  ok: false,
                  functionError: 'Unhandled',
                  errorType: message.errorType,
                  errorMessage: message.errorMessage,
                  reason: 'error',
                  requestId: message.requestId,
                },
          );
          break;
        case 'crash':
          // It exits next: no new invocation may go to it meanwhile.
          this.crash = { errorType: message.errorType, errorMessage: message.errorMessage };
          this.retired = true;
          break;
      }
    };
    const channel = this.child.stdio[CHANNEL_FD] as Readable | null;
    const channelEnded = new Promise<void>((resolve) => {
      if (!channel) return resolve();
      const lines = createInterface({ input: channel, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on('line', (line) => {
        try {
          onMessage(JSON.parse(line) as WorkerMessage);
        } catch {
          this.logs.line(line);
        }
      });
      lines.on('close', () => resolve());
    });
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        this.memory?.stop();
        // Whatever the worker wrote before it died is still in the pipe: read it all first.
        const drained = new Promise<void>((r) => setTimeout(r, 1000).unref());
        void Promise.race([channelEnded, drained]).then(async () => {
          clearInterval(this.flushTimer);
          this.onExit(code, signal, settleInit);
          this.logs.endPartialLines();
          await this.logs.flush().catch(() => {});
          resolve();
        });
      });
    });
  }

  /** Settles once the process is gone and everything it wrote is in the log store. */
  get closed(): Promise<void> {
    return this.exitPromise;
  }

  /** The worker's peak resident set so far, in MB: what REPORT shows as Max Memory Used. */
  get maxRssMb(): number {
    return Math.max(this.reportedMaxRssMb, this.memory?.peakMb ?? 0);
  }

  private onExit(
    code: number | null,
    signal: NodeJS.Signals | null,
    settleInit: (result: InitResult) => void,
  ): void {
    const status = signal ? `signal: ${SIGNAL_NAMES[signal] ?? signal}` : `exit status ${String(code)}`;
    const outOfMemory = this.outOfMemory || /heap out of memory|Allocation failed/.test(this.rawStderr);
    const errorType = outOfMemory ? 'Runtime.OutOfMemory' : (this.crash?.errorType ?? 'Runtime.ExitError');
    settleInit({
      ok: false,
      errorType,
      errorMessage: `Runtime exited with error: ${status}`,
      crashed: true,
    });
    const pending = this.pending;
    if (pending && !this.timedOut) {
      const errorMessage = `RequestId: ${pending.requestId} Error: Runtime exited with error: ${status}`;
      this.logs.endPartialLines();
      this.logs.line(errorMessage);
      this.logs.line(errorType);
      this.finish({
        ok: false,
        functionError: 'Unhandled',
        errorType,
        errorMessage,
        reason: 'crash',
        requestId: pending.requestId,
      });
    } else if (!this.stopping && !this.timedOut) {
      // Died between invocations (a timer that threw after the handler returned, an OOM kill):
      // Lambda reports it too, so it shows under `logs --level ERROR`.
      this.logs.endPartialLines();
      this.logs.line(`Error: Runtime exited with error: ${status}`);
      this.logs.line(errorType);
    }
  }

  get alive(): boolean {
    return !this.exited && !this.retired;
  }

  /** Runs one invocation; the worker must be idle and initialised. */
  invoke(event: unknown, initMs: number | undefined): Promise<InvokeOutcome> {
    const { options } = this;
    const requestId = randomUUID();
    const timeoutMs = options.timeoutSeconds * 1000;
    this.logs.line(`START RequestId: ${requestId} Version: $LATEST`);
    const started = performance.now();
    return new Promise<InvokeOutcome>((resolve) => {
      const pending: Pending = { requestId, resolve };
      this.pending = pending;
      pending.timer = setTimeout(() => this.timeOut(pending), timeoutMs);
      this.child.send(
        {
          type: 'invoke',
          requestId,
          event,
          timeoutMs,
          context: {
            functionName: options.functionName,
            functionVersion: '$LATEST',
            invokedFunctionArn: functionArnOf(options),
            memoryLimitInMB: String(options.memoryMb),
            logGroupName: lambdaLogGroupName(options.functionName),
            logStreamName: this.logs.logStreamName,
          },
        },
        (error) => {
          if (!error) return;
          this.retired = true;
          this.finish({
            ok: false,
            functionError: 'Unhandled',
            errorType: 'Runtime.ExitError',
            errorMessage: `RequestId: ${requestId} Error: Runtime exited before the invocation: ${error.message}`,
            reason: 'crash',
            requestId,
          });
        },
      );
    }).then(async (outcome) => {
      const duration = performance.now() - started;
      this.logs.endPartialLines();
      this.logs.line(`END RequestId: ${requestId}`);
      this.logs.line(
        `REPORT RequestId: ${requestId}\tDuration: ${duration.toFixed(2)} ms\tBilled Duration: ${Math.ceil(duration)} ms` +
          `\tMemory Size: ${options.memoryMb} MB\tMax Memory Used: ${this.maxRssMb} MB` +
          (initMs === undefined ? '' : `\tInit Duration: ${initMs.toFixed(2)} ms`),
      );
      if (!outcome.ok && outcome.reason === 'timeout') {
        this.logs.line(
          `${new Date(this.clock.now()).toISOString()} ${requestId} Task timed out after ${options.timeoutSeconds.toFixed(2)} seconds`,
        );
      }
      await this.logs.flush();
      return outcome;
    });
  }

  private timeOut(pending: Pending): void {
    if (this.pending !== pending) return;
    const seconds = this.options.timeoutSeconds.toFixed(2);
    // A timed-out sandbox is not reused: the next invocation starts cold. The
    // invocation ends once the worker is gone and what it wrote is logged.
    this.timedOut = true;
    this.retired = true;
    this.child.kill('SIGKILL');
    void this.exitPromise.then(() =>
      this.finish({
        ok: false,
        functionError: 'Unhandled',
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${pending.requestId} Error: Task timed out after ${seconds} seconds`,
        reason: 'timeout',
        requestId: pending.requestId,
      }),
    );
  }

  private finish(outcome: InvokeOutcome): void {
    const pending = this.pending;
    if (!pending || outcome.requestId !== pending.requestId) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    pending.resolve(outcome);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.exited) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.exitPromise;
      clearTimeout(timer);
    }
    this.logs.endPartialLines();
    await this.logs.flush();
  }
}

function missingBundle(bundleFile: string): LocalRuntimeError {
  return new LocalRuntimeError('runtime.bundle-missing', `The handler bundle ${bundleFile} does not exist.`, {
    details: { bundleFile },
  });
}

function functionArnOf(options: LocalRuntimeOptions): string {
  return (
    options.functionArn ??
    `arn:aws:lambda:${options.env.AWS_REGION ?? 'us-east-1'}:000000000000:function:${options.functionName}`
  );
}

/**
 * Starts the local Lambda runtime. Workers are started on demand (the first
 * invocation is a cold start, with `Init Duration` in its REPORT line) and stay
 * warm between invocations; a worker that timed out or crashed is dropped, so
 * the next invocation starts a new one with a new log stream.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  if (!existsSync(options.bundleFile)) throw missingBundle(options.bundleFile);
  workerScriptPath();
  const clock = options.clock ?? systemClock;
  const maxConcurrency = options.maxConcurrency ?? 10;
  const workers = new Set<Worker>();
  const idle: Worker[] = [];
  const waiting: (() => void)[] = [];
  let stopped = false;
  /** The options new workers start with; swapBundle() moves them to another bundle. */
  let current = options;
  let generation = 0;

  async function acquire(): Promise<Worker | undefined> {
    for (;;) {
      if (stopped) return undefined;
      const warm = idle.pop();
      if (warm?.alive) return warm;
      if (warm) {
        retire(warm);
        continue;
      }
      if (workers.size < maxConcurrency) {
        const worker = new Worker(current, clock, generation);
        workers.add(worker);
        return worker;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  }

  /** Workers on their way out: stop() waits until their last lines are in the log store. */
  const leaving = new Set<Promise<void>>();
  function retire(worker: Worker): void {
    workers.delete(worker);
    const gone = worker.alive ? worker.stop() : worker.closed;
    leaving.add(gone);
    void gone.finally(() => leaving.delete(gone));
  }

  function release(worker: Worker): void {
    if (worker.alive && !stopped && worker.generation === generation) idle.push(worker);
    else retire(worker);
    waiting.shift()?.();
  }

  return {
    functionArn: functionArnOf(options),
    async invoke(event) {
      const worker = await acquire();
      if (!worker) {
        return {
          ok: false,
          functionError: 'Unhandled',
          errorType: 'Runtime.Stopped',
          errorMessage: 'The local runtime is stopped.',
          reason: 'crash',
        };
      }
      try {
        let initMs: number | undefined;
        if (worker.coldStart) {
          const init = await worker.init;
          worker.coldStart = false;
          if (!init.ok) {
            await worker.stop();
            return {
              ok: false,
              functionError: 'Unhandled',
              errorType: init.errorType,
              errorMessage: init.errorMessage,
              reason: init.crashed ? 'crash' : 'error',
            };
          }
          initMs = init.initMs;
        }
        return await worker.invoke(event, initMs);
      } finally {
        release(worker);
      }
    },
    async swapBundle(bundleFile) {
      if (!existsSync(bundleFile)) throw missingBundle(bundleFile);
      current = { ...current, bundleFile };
      generation++;
      // Idle workers go now; busy ones finish their invocation on the old code and go then.
      for (const worker of idle.splice(0)) retire(worker);
    },
    async stop() {
      stopped = true;
      for (const resolve of waiting.splice(0)) resolve();
      await Promise.all([...workers].map((w) => w.stop()));
      await Promise.all([...leaving]);
      workers.clear();
      idle.length = 0;
    },
  };
}
