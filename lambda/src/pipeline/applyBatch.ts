/**
 * Applies a batch's prepared records to the sink in grouped transactions,
 * with the same exactly-once effect as one transaction per record:
 *
 * - Rounds (keyScheduler.ts): the n-th records of all item keys form round n,
 *   so one key's records are applied in stream order.
 * - Reads: the first state of every key comes from consistent batch reads
 *   (sinkReader.ts); a later record of the key starts from the state the
 *   previous one left (what this invocation wrote, or the state read when it
 *   was a duplicate or stale), so it needs no read. Every put is conditioned on
 *   the item being as read, so a state that another writer changed meanwhile
 *   is refused, never overwritten.
 * - Writes (grouping.ts): the records to write are packed into transactions
 *   of up to `maxActions` actions.
 * - A cancelled transaction applied nothing. Its CancellationReasons say
 *   which actions failed: a record whose item changed (ConditionalCheckFailed,
 *   TransactionConflict) is read again and retried after a jittered back-off
 *   in a transaction half the size, down to one record, for at most
 *   `maxAttempts` reads; a record refused for another reason (a validation
 *   error, throttling) is retried alone and fails alone; the records only
 *   cancelled along are retried at once without a read. A transaction that
 *   fails without reasons (a thrown error) is split in halves, down to one
 *   record, whose failure is that record's. So a poison record fails alone and
 *   every other record is applied exactly once.
 */
import { TransactionCanceledException, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { forEachConcurrent } from '../lib/concurrency.js';
import { type ApplyOutcome, type ApplyResult, decide, type SinkClient } from './apply.js';
import type { DomainModel, Image } from './domain.js';
import {
  blame,
  type Group,
  MAX_TRANSACTION_ACTIONS,
  packGroups,
  transactItems,
  type Write,
} from './grouping.js';
import { keyRounds } from './keyScheduler.js';
import { type PreparedRecord, prepareChange } from './prepare.js';
import type { StreamChange } from './records.js';
import { readSinkItems } from './sinkReader.js';

export interface ApplyBatchOptions {
  ddb: SinkClient;
  /** Sink table name. */
  tableName: string;
  domain: DomainModel;
  /**
   * Actions per TransactWriteItems (1 to 100): one put per record plus one
   * update per aggregate it touches, merged within the transaction.
   * @default 100
   */
  maxActions?: number | undefined;
  /**
   * Transactions (and batch reads) in flight at once.
   * @default 16
   */
  concurrency?: number | undefined;
  /**
   * Reads of an item before its record fails when other writers keep winning.
   * @default 5
   */
  maxAttempts?: number | undefined;
  /** Waits between retries; injectable so tests do not sleep. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
}

/**
 * Actions per transaction: on DynamoDB Local 32-action transactions already
 * cost about a third per item of 2-action ones and 100 cost the same as 32 (see
 * docs/benchmarks.md), and larger groups mean fewer round trips on AWS.
 */
export const DEFAULT_MAX_ACTIONS = 100;
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_MAX_ATTEMPTS = 5;

export type RecordResult = ApplyResult | { error: unknown };

/** Thrown when other writers kept changing the item for every attempt. */
export class WriteRaceError extends Error {
  constructor(pk: string, attempts: number) {
    super(
      `the sink item ${pk} kept changing under concurrent writers (${attempts} attempts); will be retried`,
    );
    this.name = 'WriteRaceError';
  }
}

/** A record's transaction was refused for a reason of its own (it was alone in it). */
export class WriteRefusedError extends Error {
  constructor(
    pk: string,
    readonly code: string,
    options: { cause: unknown },
  ) {
    super(`the sink refused the write of ${pk}: ${code}`, options);
    this.name = 'WriteRefusedError';
  }
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const RACE_CODES = new Set(['ConditionalCheckFailed', 'TransactionConflict']);

interface Pending {
  record: PreparedRecord;
  /** Reads of the item used so far. */
  attempts: number;
  maxRecords: number;
}

/**
 * Applies `records` (distinct batch positions, malformed ones already left
 * out) and returns each record's outcome or error. `onResult` is called as
 * soon as a record is settled. Never throws for a record's failure.
 */
export async function applyBatch(
  records: readonly PreparedRecord[],
  options: ApplyBatchOptions,
  onResult: (record: PreparedRecord, result: RecordResult) => void = () => {},
): Promise<Map<PreparedRecord, RecordResult>> {
  const { ddb, tableName, domain } = options;
  const maxActions = Math.min(
    MAX_TRANSACTION_ACTIONS,
    Math.max(1, options.maxActions ?? DEFAULT_MAX_ACTIONS),
  );
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const sleep = options.sleep ?? sleepMs;
  const results = new Map<PreparedRecord, RecordResult>();
  const settle = (record: PreparedRecord, result: RecordResult) => {
    results.set(record, result);
    onResult(record, result);
  };
  /** Each key's state as last read or written; a key that is absent must be read. */
  const known = new Map<string, Image | undefined>();
  const read = async (pending: Pending[]): Promise<Pending[]> => {
    const missing = pending.filter((p) => !known.has(p.record.key)).map((p) => p.record.key);
    if (missing.length === 0) return pending;
    const got = await readSinkItems(ddb, tableName, missing, concurrency);
    return pending.filter((p) => {
      const result = got.get(p.record.key);
      if (!result) return true;
      if (result.found) {
        known.set(p.record.key, result.item);
        return true;
      }
      settle(p.record, { error: result.error });
      return false;
    });
  };

  for (const round of keyRounds(records, (record) => record.key)) {
    let pending: Pending[] = round.map((record) => ({ record, attempts: 1, maxRecords: round.length }));
    while (pending.length > 0) {
      pending = await read(pending);
      const writes: (Write & { attempts: number })[] = [];
      for (const p of pending) {
        try {
          const decision = decide(p.record, known.get(p.record.key), domain, tableName);
          if (decision.outcome === 'write') writes.push({ ...p, put: decision.put, deltas: decision.deltas });
          else settle(p.record, { outcome: decision.outcome, attempts: p.attempts });
        } catch (error) {
          // A stored item the domain cannot read: this record fails, the rest goes on.
          settle(p.record, { error });
        }
      }
      const next: Pending[] = [];
      let backoff = 0;
      const retry = (write: Write & { attempts: number }, change: Partial<Pending>) =>
        next.push({
          record: write.record,
          attempts: write.attempts,
          maxRecords: write.maxRecords,
          ...change,
        });
      await forEachConcurrent(packGroups(writes, maxActions), concurrency, async (group: Group) => {
        const items = transactItems(group, tableName);
        const members = group.writes as (Write & { attempts: number })[];
        try {
          await ddb.send(new TransactWriteItemsCommand({ TransactItems: items }));
          for (const write of members) {
            known.set(write.record.key, write.record.item);
            settle(write.record, { outcome: 'applied' satisfies ApplyOutcome, attempts: write.attempts });
          }
          return;
        } catch (error) {
          const reasons =
            error instanceof TransactionCanceledException && error.CancellationReasons
              ? blame(group, items, error.CancellationReasons)
              : undefined;
          const half = Math.max(1, Math.ceil(members.length / 2));
          if (!reasons) {
            if (members.length === 1) {
              const [write] = members as [Write & { attempts: number }];
              // Whether it was written is unknown: the key's next record reads it again.
              known.delete(write.record.key);
              settle(write.record, { error });
            } else for (const write of members) retry(write, { maxRecords: half });
            return;
          }
          for (const { write: w, code, itemChanged } of reasons) {
            const write = w as Write & { attempts: number };
            if (code === 'None') retry(write, {});
            else if (RACE_CODES.has(code)) {
              if (write.attempts >= maxAttempts) {
                settle(write.record, { error: new WriteRaceError(write.record.key, write.attempts) });
                continue;
              }
              if (itemChanged) known.delete(write.record.key);
              backoff = Math.max(backoff, write.attempts);
              retry(write, { attempts: write.attempts + 1, maxRecords: half });
            } else if (members.length === 1) {
              settle(write.record, {
                error: new WriteRefusedError(write.record.key, code, { cause: error }),
              });
            } else retry(write, { maxRecords: 1 });
          }
        }
      });
      if (backoff > 0) await sleep(Math.floor(Math.random() * 20 * 2 ** backoff));
      pending = next;
    }
  }
  return results;
}

export interface ApplyOptions {
  ddb: SinkClient;
  /** Sink table name. */
  tableName: string;
  domain: DomainModel;
  secretKey: Buffer;
  /**
   * Reads of the item before the record fails when other writers keep winning.
   * @default 5
   */
  maxAttempts?: number;
  /** Waits between rounds; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

/** Applies one change on its own, as the handler does for a batch of one; throws its failure. */
export async function applyChange(options: ApplyOptions, change: StreamChange): Promise<ApplyResult> {
  const record = prepareChange(change, 0, options.domain, options.secretKey);
  const results = await applyBatch([record], {
    ddb: options.ddb,
    tableName: options.tableName,
    domain: options.domain,
    maxAttempts: options.maxAttempts,
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  const result = results.get(record);
  if (!result) throw new Error('applyBatch gave the record no result: this is a bug');
  if ('error' in result) throw result.error;
  return result;
}
