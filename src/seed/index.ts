import type { DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { type Clock, systemClock } from '../util/time.js';
import { BatchWriter, WriteFailedError } from './batchWriter.js';
import { SeedError } from './errors.js';
import { createSeedFaker } from './faker.js';
import { OrderFactory, pickDistinct, toItem } from './orders.js';

/** What `seed` does; defaults match `ddb-ingest seed --help`. */
export interface SeedOptions {
  /** Client built with `maxAttempts: 1` (the writer counts its own retries). */
  client: DynamoDBClient;
  tableName: string;
  /** Key attribute of the source table (the stack's `source_table.hash_key`). */
  hashKey?: string;
  /** New orders to insert. */
  count: number;
  /** Seeded orders to update afterwards (status forward or CANCELLED, maybe new items). */
  updates?: number;
  /** Seeded orders to delete afterwards. */
  deletes?: number;
  /** Reproducible data; omitted = a random seed, reported in the result. */
  seed?: number;
  /** BatchWriteItem calls in flight. */
  concurrency?: number;
  /** Items per second limit. */
  rate?: number;
  /** Attempts per batch before giving up on its items. */
  maxAttempts?: number;
  clock?: Clock;
  onProgress?: (progress: SeedProgress) => void;
  signal?: AbortSignal;
}

export interface SeedProgress {
  phase: 'insert' | 'update' | 'delete';
  done: number;
  total: number;
}

/** The `seed --json` document. */
export interface SeedResult {
  inserted: number;
  updated: number;
  deleted: number;
  durationMs: number;
  itemsPerSecond: number;
  retries: number;
  seed: number;
}

const BATCH = 25;

export function validateSeedCounts(count: number, updates: number, deletes: number): void {
  if (updates > count) {
    throw new SeedError('seed.too-many-updates', `${updates} updates cannot exceed ${count} orders.`, {
      details: { updates, count },
    });
  }
  if (deletes > count) {
    throw new SeedError('seed.too-many-deletes', `${deletes} deletes cannot exceed ${count} orders.`, {
      details: { deletes, count },
    });
  }
}

/**
 * Inserts `count` faker orders, then updates and deletes some of them. Orders
 * are generated batch by batch as the writer takes them, so memory stays flat
 * whatever the count.
 */
export async function runSeed(options: SeedOptions): Promise<SeedResult> {
  const updates = options.updates ?? 0;
  const deletes = options.deletes ?? 0;
  validateSeedCounts(options.count, updates, deletes);
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const factory = new OrderFactory(
    await createSeedFaker(),
    seed,
    options.count,
    options.seed !== undefined,
    clock.now(),
  );
  const hashKey = options.hashKey ?? 'orderId';
  const started = clock.now();
  let retries = 0;

  const runPhase = async (phase: SeedProgress['phase'], indexes: Iterable<number>, total: number) => {
    const writer = new BatchWriter({
      client: options.client,
      tableName: options.tableName,
      concurrency: options.concurrency ?? 16,
      maxAttempts: options.maxAttempts ?? 10,
      baseDelayMs: 50,
      maxDelayMs: 5_000,
      rate: options.rate,
      clock,
    });
    let batch: WriteRequest[] = [];
    const report = () => options.onProgress?.({ phase, done: writer.written, total });
    for (const index of indexes) {
      if (options.signal?.aborted) break;
      batch.push(toRequest(phase, factory, index, hashKey));
      if (batch.length === BATCH) {
        await writer.write(batch);
        batch = [];
        report();
      }
    }
    if (batch.length > 0 && !options.signal?.aborted) await writer.write(batch);
    try {
      await writer.flush();
    } catch (err) {
      if (err instanceof WriteFailedError) {
        throw new SeedError(
          'seed.write-failed',
          `Seeding stopped during ${phase}s: ${err.notWritten} of ${total} items were not written (${err.message}).`,
          { cause: err, details: { phase, notWritten: err.notWritten, total } },
        );
      }
      throw err;
    } finally {
      retries += writer.retries;
    }
    report();
    return writer.written;
  };

  const inserted = await runPhase('insert', range(options.count), options.count);
  const updated = updates
    ? await runPhase('update', pickDistinct(options.count, updates, seed + 1), updates)
    : 0;
  const deleted = deletes
    ? await runPhase('delete', pickDistinct(options.count, deletes, seed + 2), deletes)
    : 0;
  const durationMs = Math.max(1, clock.now() - started);
  const total = inserted + updated + deleted;
  return {
    inserted,
    updated,
    deleted,
    durationMs,
    itemsPerSecond: Math.round((total * 1000) / durationMs),
    retries,
    seed,
  };
}

function toRequest(
  phase: SeedProgress['phase'],
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

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}
