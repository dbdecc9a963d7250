/**
 * What `seed` writes, as 25-request batches: a pure function of the run's
 * settings, so the generator thread (generatorWorker.ts) and the inline path
 * produce the very same batches.
 */
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { type OrderFactory, pickDistinct, toItem } from './orders.js';

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
  hashKey: string;
}

/** The order indexes a phase touches: all for inserts, distinct seeded picks for updates and deletes. */
export function phaseIndexes(spec: GenerationSpec, phase: SeedPhase): Iterable<number> {
  if (phase === 'insert') return range(spec.count);
  if (phase === 'update') return pickDistinct(spec.count, spec.updates, spec.seed + 1);
  return pickDistinct(spec.count, spec.deletes, spec.seed + 2);
}

export function phaseTotal(spec: GenerationSpec, phase: SeedPhase): number {
  return phase === 'insert' ? spec.count : phase === 'update' ? spec.updates : spec.deletes;
}

export function toRequest(
  phase: SeedPhase,
  factory: OrderFactory,
  index: number,
  hashKey: string,
): WriteRequest {
  if (phase === 'delete')
    return { DeleteRequest: { Key: { [hashKey]: { S: factory.order(index).orderId } } } };
  const order = phase === 'insert' ? factory.order(index) : factory.updated(index);
  const item = toItem(order);
  if (hashKey !== 'orderId') item[hashKey] = { S: order.orderId };
  return { PutRequest: { Item: item } };
}

/** A phase's requests in batches of 25 (the last one shorter). */
export function* phaseBatches(
  spec: GenerationSpec,
  factory: OrderFactory,
  phase: SeedPhase,
): Generator<WriteRequest[]> {
  let batch: WriteRequest[] = [];
  for (const index of phaseIndexes(spec, phase)) {
    batch.push(toRequest(phase, factory, index, spec.hashKey));
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}
