/**
 * The generator thread of `seed`: builds every phase's batches (faker is
 * most of seeding's own CPU) while the main thread only sends them, and
 * posts each batch when the main thread has room for it (one credit per
 * batch), so at most a bounded buffer of batches exists at any time. A
 * template it refuses (SeedError) is posted back as such, before any batch,
 * so faker is loaded on this thread only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SeedError, type SeedErrorCode } from './errors.js';
import { type GenerationSpec, phaseBatches, type RequestFactory, SEED_PHASES } from './generate.js';
import { createRequestFactory } from './requests.js';

/** Main -> generator: room for `credits` more batches. */
export interface CreditMessage {
  credits: number;
}
/** Generator -> main: a batch of a phase, the end of that phase, or the run's settings refused. */
export type BatchMessage =
  | { phase: string; batch: import('@aws-sdk/client-dynamodb').WriteRequest[] }
  | { phase: string; end: true }
  | {
      phase: string;
      refused: { code: SeedErrorCode; message: string; details?: Record<string, unknown> };
    };

const port = parentPort;
if (!port) throw new Error('generatorWorker.js runs as a worker thread of seed');
const spec = workerData as GenerationSpec;
let credits = 0;
let wake: (() => void) | undefined;
port.on('message', (message: CreditMessage) => {
  credits += message.credits;
  wake?.();
});

let factory: RequestFactory | undefined;
try {
  factory = await createRequestFactory(spec);
} catch (err) {
  if (!(err instanceof SeedError)) throw err;
  const { code, message, details } = err;
  port.postMessage({
    phase: SEED_PHASES[0] as string,
    refused: { code, message, ...(details ? { details: { ...details } } : {}) },
  } satisfies BatchMessage);
}
if (factory) {
  for (const phase of SEED_PHASES) {
    for (const batch of phaseBatches(spec, factory, phase)) {
      while (credits === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      credits -= 1;
      port.postMessage({ phase, batch } satisfies BatchMessage);
    }
    port.postMessage({ phase, end: true } satisfies BatchMessage);
  }
}
// Done: nothing more to wait for, so the thread may end.
port.removeAllListeners('message');
port.unref();
