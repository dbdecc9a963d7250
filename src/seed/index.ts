import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Clock, systemClock } from '../util/time.js';
import { type AheadOptions, generateAhead } from './ahead.js';
import { BatchWriter, WriteFailedError } from './batchWriter.js';
import { SeedError } from './errors.js';
import { seedWriteFailure } from './failure.js';
import { type GenerationSpec, phaseTotal, type SeedPhase } from './generate.js';
import type { TemplateSpec } from './template.js';

/** What `seed` does; defaults match `ddb-ingest seed --help`. */
export interface SeedOptions {
  /** Client built with `maxAttempts: 1` (the writer counts its own retries). */
  client: DynamoDBClient;
  tableName: string;
  /** Key attribute of the source table (the stack's `source_table.hash_key`). */
  hashKey?: string | undefined;
  /**
   * Items from this template instead of the built-in orders; the generator checks it (compileTemplate) before the first write.
   * @default the built-in orders
   */
  template?: TemplateSpec | undefined;
  /** New items to insert. */
  count: number;
  /** Seeded items to update afterwards (orders: status forward or CANCELLED; template items: every non-key attribute regenerated). */
  updates?: number | undefined;
  /** Seeded items to delete afterwards. */
  deletes?: number | undefined;
  /** Reproducible data; omitted = a random seed, reported in the result. */
  seed?: number | undefined;
  /** BatchWriteItem calls in flight. */
  concurrency?: number | undefined;
  /** Items per second limit. */
  rate?: number | undefined;
  /** Attempts per batch before giving up on its items. */
  maxAttempts?: number | undefined;
  clock?: Clock | undefined;
  onProgress?: ((progress: SeedProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Where orders are generated and how many batches are kept ready (see ahead.ts). */
  generation?: AheadOptions | undefined;
}

export interface SeedProgress {
  phase: SeedPhase;
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
  /**
   * Only when the signal stopped the seed: items whose call was cancelled in
   * flight, which DynamoDB may or may not have applied (each whole or not at all).
   */
  unconfirmed?: number;
}

export function validateSeedCounts(count: number, updates: number, deletes: number): void {
  if (updates > count) {
    throw new SeedError('seed.too-many-updates', `${updates} updates cannot exceed ${count} items.`, {
      details: { updates, count },
    });
  }
  if (deletes > count) {
    throw new SeedError('seed.too-many-deletes', `${deletes} deletes cannot exceed ${count} items.`, {
      details: { deletes, count },
    });
  }
}

/**
 * Inserts `count` faker orders (or template items), then updates and deletes
 * some of them. Items are generated ahead of the writer in a bounded buffer of batches (on a
 * generator thread when running from the built CLI, see ahead.ts), so a free
 * write slot never waits for generation and memory stays flat whatever the
 * count.
 */
export async function runSeed(options: SeedOptions): Promise<SeedResult> {
  const updates = options.updates ?? 0;
  const deletes = options.deletes ?? 0;
  validateSeedCounts(options.count, updates, deletes);
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const spec: GenerationSpec = {
    seed,
    count: options.count,
    updates,
    deletes,
    reproducible: options.seed !== undefined,
    now: clock.now(),
    hashKey: options.hashKey ?? 'orderId',
    template: options.template,
  };
  const started = clock.now();
  let retries = 0;
  let unconfirmed = 0;
  const source = await generateAhead(spec, options.generation);

  const runPhase = async (phase: SeedPhase) => {
    const total = phaseTotal(spec, phase);
    if (total === 0) {
      // Phases are read in order: pass over an empty one without reporting it.
      for await (const _ of source.batches(phase));
      return 0;
    }
    const writer = new BatchWriter({
      client: options.client,
      tableName: options.tableName,
      concurrency: options.concurrency ?? 16,
      maxAttempts: options.maxAttempts ?? 10,
      baseDelayMs: 50,
      maxDelayMs: 5_000,
      rate: options.rate,
      clock,
      signal: options.signal,
    });
    const report = () => options.onProgress?.({ phase, done: writer.written, total });
    for await (const batch of source.batches(phase)) {
      if (options.signal?.aborted) break;
      await writer.write(batch);
      report();
    }
    try {
      await writer.flush();
    } catch (err) {
      if (err instanceof WriteFailedError) {
        throw seedWriteFailure(err, { phase, total, tableName: options.tableName });
      }
      throw err;
    } finally {
      retries += writer.retries;
      unconfirmed += writer.unconfirmed;
    }
    report();
    return writer.written;
  };

  let inserted: number;
  let updated = 0;
  let deleted = 0;
  try {
    inserted = await runPhase('insert');
    if (!options.signal?.aborted) updated = await runPhase('update');
    if (!options.signal?.aborted) deleted = await runPhase('delete');
  } finally {
    await source.close();
  }
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
    ...(unconfirmed > 0 ? { unconfirmed } : {}),
  };
}
