/**
 * What `seed` writes, as 25-request batches: a pure function of the run's
 * settings, so the generator thread (generatorWorker.ts) and the inline path
 * produce the very same batches.
 */
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { pickDistinct } from './orders.js';
import type { TemplateSpec } from './template.js';

export type SeedPhase = 'insert' | 'update' | 'delete';
export const SEED_PHASES: readonly SeedPhase[] = ['insert', 'update', 'delete'];

/** BatchWriteItem's limit of requests per call. */
export const BATCH = 25;

/** Everything generation depends on (a worker's `workerData`: plain data only). */
export interface GenerationSpec {
  seed: number;
  count: number;
  updates: number;
  deletes: number;
  /** Dates anchored to a fixed day (`--seed`) or to `now`. */
  reproducible: boolean;
  now: number;
  /** The orders' key attribute (the built-in orders only). */
  hashKey: string;
  /** Items from this template instead of the built-in orders. */
  template?: TemplateSpec | undefined;
}

/** One write of a phase, with its item's key as text (BatchWriteItem refuses two writes of one key in a call). */
export interface KeyedRequest {
  request: WriteRequest;
  key: string;
}

/** Item #index's write in a phase: a put of the new or updated item, or a delete of its key. */
export interface RequestFactory {
  request(phase: SeedPhase, index: number): KeyedRequest;
}

/** The item indexes a phase touches: all for inserts, distinct seeded picks for updates and deletes. */
export function phaseIndexes(spec: GenerationSpec, phase: SeedPhase): Iterable<number> {
  if (phase === 'insert') return range(spec.count);
  if (phase === 'update') return pickDistinct(spec.count, spec.updates, spec.seed + 1);
  return pickDistinct(spec.count, spec.deletes, spec.seed + 2);
}

export function phaseTotal(spec: GenerationSpec, phase: SeedPhase): number {
  return phase === 'insert' ? spec.count : phase === 'update' ? spec.updates : spec.deletes;
}

/**
 * A phase's requests in batches of 25 (the last one shorter). A template may
 * give two items the same key (`{{number.int({"max":9})}}` as a key): a batch
 * ends early rather than hold the key twice, so every write is sent, in order,
 * and the later one wins as it would item by item.
 */
export function* phaseBatches(
  spec: GenerationSpec,
  factory: RequestFactory,
  phase: SeedPhase,
): Generator<WriteRequest[]> {
  let batch: WriteRequest[] = [];
  const keys = new Set<string>();
  for (const index of phaseIndexes(spec, phase)) {
    const { request, key } = factory.request(phase, index);
    if (keys.has(key)) {
      yield batch;
      batch = [];
      keys.clear();
    }
    batch.push(request);
    keys.add(key);
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
      keys.clear();
    }
  }
  if (batch.length > 0) yield batch;
}

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}
