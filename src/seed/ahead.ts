/**
 * Batches generated ahead of the writer. From the built CLI, a generator
 * thread (generatorWorker.ts) builds them in parallel and keeps up to
 * `buffer` batches ready, so a free write slot is filled at once instead of
 * waiting for 25 items to be generated on the writer's thread. Run from
 * the TypeScript sources (the tests), where no compiled worker file exists,
 * the same batches are generated inline.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { SeedError } from './errors.js';
import { type GenerationSpec, phaseBatches, type SeedPhase } from './generate.js';
import type { BatchMessage, CreditMessage } from './generatorWorker.js';
import { createRequestFactory } from './requests.js';

export interface BatchSource {
  /** The phase's batches in order; phases must be read in order (insert, update, delete). */
  batches(phase: SeedPhase): AsyncIterable<WriteRequest[]>;
  /** Batches generated and not yet taken (at most the buffer). */
  ready(): number;
  /** Stops generating (also after an abort) and frees the thread. */
  close(): Promise<void>;
}

export interface AheadOptions {
  /**
   * Batches kept ready (25 items each).
   * @default 64
   */
  buffer?: number;
  /**
   * Where batches are generated: a worker thread, or inline on the caller's thread.
   * @default 'worker' when the compiled worker file exists, else 'inline'
   */
  generator?: 'worker' | 'inline';
}

/** The generator thread's heap cap: its live data is faker's tables and a few batches. */
const WORKER_OLD_GENERATION_MB = 48;
/**
 * Its young generation's cap: left alone it grows to tens of MB that stay
 * resident (seed --template of 20,000 items: 178 -> 151 MB peak RSS with 8).
 */
const WORKER_YOUNG_GENERATION_MB = 8;
const WORKER_URL = new URL('./generatorWorker.js', import.meta.url);

export function workerAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

export async function generateAhead(spec: GenerationSpec, options: AheadOptions = {}): Promise<BatchSource> {
  const generator = options.generator ?? (workerAvailable() ? 'worker' : 'inline');
  return generator === 'worker' ? workerSource(spec, options.buffer ?? 64) : inlineSource(spec);
}

async function inlineSource(spec: GenerationSpec): Promise<BatchSource> {
  const factory = await createRequestFactory(spec);
  return {
    async *batches(phase) {
      yield* phaseBatches(spec, factory, phase);
    },
    ready: () => 0,
    async close() {},
  };
}

function workerSource(spec: GenerationSpec, buffer: number): BatchSource {
  const worker = new Worker(WORKER_URL, {
    workerData: spec,
    resourceLimits: {
      maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB,
      maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
    },
  });
  const queue: BatchMessage[] = [];
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (message: BatchMessage) => {
    if ('refused' in message) {
      const { code, message: text, details } = message.refused;
      failure ??= new SeedError(code, text, details ? { details } : {});
    } else {
      queue.push(message);
    }
    notify();
  });
  worker.on('error', (err) => {
    failure ??= err;
    notify();
  });
  worker.on('exit', (code) => {
    if (code !== 0) failure ??= new Error(`the generator thread exited with code ${code}`);
    notify();
  });
  worker.postMessage({ credits: buffer } satisfies CreditMessage);
  const take = async (): Promise<BatchMessage> => {
    for (;;) {
      const next = queue.shift();
      if (next) return next;
      // The run's own settings refused (a bad template): the error as the generator gave it.
      if (failure instanceof SeedError) throw failure;
      if (failure !== undefined) {
        throw new SeedError(
          'seed.generation-failed',
          `Generating items failed: ${(failure as Error).message}`,
          {
            cause: failure,
          },
        );
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
  return {
    async *batches(phase) {
      for (;;) {
        const message = await take();
        if (message.phase !== phase)
          throw new Error(`seed phases out of order: ${message.phase} during ${phase}`);
        if ('end' in message) return;
        if (!('batch' in message)) continue;
        worker.postMessage({ credits: 1 } satisfies CreditMessage);
        yield message.batch;
      }
    },
    ready: () => queue.filter((message) => 'batch' in message).length,
    async close() {
      await worker.terminate();
    },
  };
}
