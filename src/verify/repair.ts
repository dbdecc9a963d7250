/**
 * `verify --repair`: rewrites the sink from the source with the handler's own
 * projection, safe while the pipeline runs. The scheme (see docs/reliability.md):
 *
 * - Orders. A repair write has no stream sequence number of its own, so it
 *   claims the stream's tip (streamTip.ts), read once BEFORE any source read:
 *   it reads the sink item, then the source item (both consistent reads, in
 *   that order, so the source state written is at least as new as any change
 *   the sink item reflects), and puts the projection with
 *   `lastSequenceNumber` = the greater of the tip and the number the item
 *   held, conditioned on the sink item being exactly as read. Every record
 *   older than the source read has a number at most the tip, so a late or
 *   replayed one cannot overwrite the repaired state (or resurrect a repaired
 *   tombstone); every change made after the tip was read has a greater
 *   number, so the pipeline applies it afterwards as usual. A change the
 *   pipeline applies in between fails the condition and the item is read
 *   again. The put and the customer aggregate's delta go in one transaction,
 *   exactly as the handler writes, so the aggregate stays the sum over the
 *   sink's live orders.
 * - Aggregates. The invariant the pipeline relies on is "aggregate = sum of
 *   the contributions of the sink's live orders" (it adds deltas to it). So an
 *   aggregate is repaired to that sum, which equals the value recomputed from
 *   the source once the orders are repaired: the aggregate is read first, the
 *   sink's orders are scanned after it (consistent), and the new value is
 *   written on condition that the aggregate is still as read. Any pipeline
 *   write for that customer in between changes the aggregate and fails the
 *   condition; the customer is tried again in the next round.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CUSTOMER_PREFIX,
  ORDER_PREFIX,
  orderItemFromImage,
  ordersDomain,
} from '../../lambda/src/domain/orders.js';
import { addDecimals, type Decimal, formatDecimal, parseDecimal } from '../../lambda/src/lib/decimal.js';
import { aggregateDeltas, aggregateUpdate, SEQUENCE_ATTRIBUTE } from '../../lambda/src/pipeline/apply.js';
import type { Contribution, Image } from '../../lambda/src/pipeline/domain.js';
import {
  type Difference,
  type DifferenceKind,
  scanTable,
  type VerifyOptions,
  type VerifyReport,
  verifySink,
} from './verify.js';

/** How `verify --repair` works; the comparison options are those of verifySink. */
export interface RepairOptions extends Omit<VerifyOptions, 'onDifference'> {
  client: Pick<DynamoDBClient, 'send'>;
  /** Key attribute of the source table (the stack's `source_table.hash_key`). */
  sourceHashKey: string;
  /**
   * The greatest sequence number in the source's stream now (streamTip); called
   * once, before the source is read. Undefined: the stream has no records.
   */
  streamTip: () => Promise<bigint | undefined>;
  /** Items repaired at once (default 8). */
  concurrency?: number;
  /** Read-and-write rounds per item before it is reported as still changing (default 6). */
  maxAttempts?: number;
  /** Customers recomputed per scan of the sink: bounds memory (default 10,000). */
  customersPerRound?: number;
  /** Waits between rounds; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

export type RepairAction = 'put' | 'tombstone' | 'aggregate';

/** What `verify --repair` did; `--json` prints it as `repair`. */
export interface RepairReport {
  /** The comparison the repair started from. */
  before: VerifyReport;
  /** Order items rewritten from the source. */
  ordersWritten: number;
  /** Live order items of orders gone from the source, turned into tombstones. */
  ordersTombstoned: number;
  /** Customer aggregates set to the sum over the sink's live orders. */
  aggregatesWritten: number;
  /** Differences that were gone by the time the item was read again (the pipeline caught up). */
  alreadyInSync: number;
  /** Conditional writes that lost to a concurrent writer and were read again. */
  conflicts: number;
  /** Items still changing after every attempt (run verify --repair again later). */
  gaveUp: { count: number; examples: string[] };
  /** Differences repair does not touch: items that are not ours, unreadable source items. */
  skipped: { count: number; examples: Difference[] };
  examples: { pk: string; action: RepairAction }[];
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isConflict(err: unknown): boolean {
  if (err instanceof TransactionCanceledException) {
    return (err.CancellationReasons ?? []).some(
      (r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict',
    );
  }
  return (err as Error)?.name === 'ConditionalCheckFailedException';
}

const SCALAR = ['S', 'N', 'BOOL', 'B'] as const;

/**
 * "The item is exactly as read": every scalar attribute read still holds its
 * value, or the item still does not exist.
 */
export function asReadCondition(stored: Image | undefined): Pick<
  TransactWriteItem['Put'] & object,
  'ConditionExpression'
> & {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
} {
  if (!stored) return { ConditionExpression: 'attribute_not_exists(pk)' };
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const terms: string[] = ['attribute_exists(pk)'];
  Object.entries(stored).forEach(([name, value], i) => {
    if (name === 'pk' || !SCALAR.some((t) => (value as unknown as Record<string, unknown>)[t] !== undefined))
      return;
    names[`#c${i}`] = name;
    values[`:c${i}`] = value;
    terms.push(`#c${i} = :c${i}`);
  });
  return {
    ConditionExpression: terms.join(' AND '),
    ...(terms.length > 1 ? { ExpressionAttributeNames: names, ExpressionAttributeValues: values } : {}),
  };
}

function safeContributions(item: Image | undefined): Contribution[] | undefined {
  if (!item || item.deleted?.BOOL === true) return [];
  try {
    return ordersDomain.contributions(item);
  } catch {
    return undefined;
  }
}

const PII_FIELDS = ['customerName', 'customerEmail', 'items'];

function sameLiveOrder(stored: Image | undefined, desired: Image): boolean {
  if (!stored || stored.deleted?.BOOL === true) return false;
  if (PII_FIELDS.some((f) => stored[f] !== undefined)) return false;
  try {
    return JSON.stringify(orderItemFromImage(stored)) === JSON.stringify(orderItemFromImage(desired));
  } catch {
    return false;
  }
}

/** Runs async work with at most `limit` in flight; `push` waits for a free slot. */
class Pool {
  private readonly running = new Set<Promise<void>>();
  private failure: unknown;
  constructor(private readonly limit: number) {}
  async push(work: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure) throw this.failure;
    const p: Promise<void> = work()
      .catch((err) => {
        this.failure ??= err;
      })
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }
  async drain(): Promise<void> {
    await Promise.all(this.running);
    if (this.failure) throw this.failure;
  }
}

/**
 * Compares the sink with the source (as verifySink) and repairs every
 * difference it finds, orders first, then the customer aggregates involved.
 * Memory holds the comparison's buckets plus the set of customers to
 * recompute (bounded by the drift, not the table).
 */
export async function repairSink(options: RepairOptions): Promise<RepairReport> {
  const { client, sinkTable, sourceTable, secretKey } = options;
  const maxAttempts = options.maxAttempts ?? 6;
  const sleep = options.sleep ?? sleepMs;
  const keep = options.examples ?? 5;
  const backoff = (attempt: number) => sleep(Math.floor(Math.random() * 20 * 2 ** attempt));
  const result: Omit<RepairReport, 'before'> = {
    ordersWritten: 0,
    ordersTombstoned: 0,
    aggregatesWritten: 0,
    alreadyInSync: 0,
    conflicts: 0,
    gaveUp: { count: 0, examples: [] },
    skipped: { count: 0, examples: [] },
    examples: [],
  };
  const done = (pk: string, action: RepairAction) => {
    if (action === 'put') result.ordersWritten++;
    else if (action === 'tombstone') result.ordersTombstoned++;
    else result.aggregatesWritten++;
    if (result.examples.length < keep) result.examples.push({ pk, action });
  };
  const gaveUp = (pk: string) => {
    result.gaveUp.count++;
    if (result.gaveUp.examples.length < keep) result.gaveUp.examples.push(pk);
  };
  // Before verifySink reads a single source item: see the module comment.
  const tip = await options.streamTip();
  const customers = new Set<string>();
  const get = async (table: string, key: Image) =>
    (await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;

  const repairOrder = async (pk: string): Promise<void> => {
    const orderId = pk.slice(ORDER_PREFIX.length);
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      // Sink first, then source: see the module comment.
      const stored = await get(sinkTable, { pk: { S: pk } });
      const source = await get(sourceTable, { [options.sourceHashKey]: { S: orderId } });
      const held = stored?.[SEQUENCE_ATTRIBUTE]?.S;
      const guard = [held !== undefined && /^\d+$/.test(held) ? BigInt(held) : undefined, tip].reduce<
        bigint | undefined
      >((a, b) => (a === undefined ? b : b === undefined || a > b ? a : b), undefined);
      const kept: Image = guard === undefined ? {} : { [SEQUENCE_ATTRIBUTE]: { S: String(guard) } };
      const live = stored !== undefined && stored.deleted?.BOOL !== true;
      let desired: Image;
      if (source) {
        desired = { ...ordersDomain.project(source, { secretKey }), pk: { S: pk }, ...kept };
        if (sameLiveOrder(stored, desired)) {
          result.alreadyInSync++;
          return;
        }
      } else if (live) {
        desired = { pk: { S: pk }, deleted: { BOOL: true }, ...kept };
      } else {
        result.alreadyInSync++;
        return;
      }
      const previous = safeContributions(stored);
      const next = safeContributions(desired) ?? [];
      for (const c of [...(previous ?? []), ...next]) customers.add(c.pk);
      if (stored?.customerId?.S) customers.add(`${CUSTOMER_PREFIX}${stored.customerId.S}`);
      // An unreadable stored item has unknown contributions: its aggregates are
      // recomputed from the sink's orders in the next phase instead.
      const deltas = previous ? aggregateDeltas(previous, next) : new Map();
      const writes: TransactWriteItem[] = [
        { Put: { TableName: sinkTable, Item: desired, ...asReadCondition(stored) } },
        ...[...deltas].map(([aggregatePk, d]) => aggregateUpdate(sinkTable, aggregatePk, d)),
      ];
      try {
        await client.send(new TransactWriteItemsCommand({ TransactItems: writes }));
        done(pk, source ? 'put' : 'tombstone');
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
        result.conflicts++;
        await backoff(attempt);
      }
    }
    gaveUp(pk);
  };

  const pool = new Pool(options.concurrency ?? 8);
  const before = await verifySink({
    ...options,
    onDifference: async (kind: DifferenceKind, diff: Difference) => {
      if (kind !== 'invalidSource' && diff.pk.startsWith(ORDER_PREFIX)) {
        await pool.push(() => repairOrder(diff.pk));
      } else if (kind !== 'invalidSource' && diff.pk.startsWith(CUSTOMER_PREFIX)) {
        customers.add(diff.pk);
      } else {
        result.skipped.count++;
        if (result.skipped.examples.length < keep) result.skipped.examples.push(diff);
      }
    },
  });
  await pool.drain();

  const pending = [...customers];
  const perRound = options.customersPerRound ?? 10_000;
  for (let i = 0; i < pending.length; i += perRound) {
    await repairAggregates(pending.slice(i, i + perRound));
  }
  return { before, ...result };

  async function repairAggregates(pks: string[]): Promise<void> {
    let todo = pks;
    for (let attempt = 1; attempt <= maxAttempts && todo.length > 0; attempt++) {
      // Read every aggregate BEFORE scanning the orders: see the module comment.
      const read = new Map<string, Image | undefined>();
      const readPool = new Pool(options.concurrency ?? 8);
      for (const pk of todo)
        await readPool.push(async () => void read.set(pk, await get(sinkTable, { pk: { S: pk } })));
      await readPool.drain();
      const sums = new Map<string, { n: number; s: Decimal }>(
        todo.map((pk) => [pk, { n: 0, s: { units: 0n, scale: 0 } }]),
      );
      await scanOrders((item) => {
        for (const c of safeContributions(item) ?? []) {
          const sum = sums.get(c.pk);
          if (!sum) continue;
          sum.n += Number(c.counters.orderCount ?? '0');
          sum.s = addDecimals(sum.s, parseDecimal(c.counters.totalSpent ?? '0') ?? { units: 0n, scale: 0 });
        }
      });
      const retry: string[] = [];
      const writePool = new Pool(options.concurrency ?? 8);
      for (const pk of todo) {
        await writePool.push(async () => {
          const stored = read.get(pk);
          const sum = sums.get(pk) ?? { n: 0, s: { units: 0n, scale: 0 } };
          const spent = formatDecimal(sum.s);
          const heldCount = Number(stored?.orderCount?.N ?? '0');
          const heldSpent = parseDecimal(stored?.totalSpent?.N ?? '0');
          if (heldCount === sum.n && heldSpent && formatDecimal(heldSpent) === spent) {
            result.alreadyInSync++;
            return;
          }
          const item: Image = {
            pk: { S: pk },
            customerId: { S: pk.slice(CUSTOMER_PREFIX.length) },
            orderCount: { N: String(sum.n) },
            totalSpent: { N: spent },
          };
          try {
            await client.send(
              new PutItemCommand({ TableName: sinkTable, Item: item, ...asReadCondition(stored) }),
            );
            done(pk, 'aggregate');
          } catch (err) {
            if (!isConflict(err)) throw err;
            result.conflicts++;
            retry.push(pk);
          }
        });
      }
      await writePool.drain();
      todo = retry;
      if (todo.length > 0) await backoff(attempt);
    }
    for (const pk of todo) gaveUp(pk);
  }

  async function scanOrders(onItem: (item: Image) => void): Promise<void> {
    await scanTable(client, sinkTable, options.segments ?? 4, async (items) => {
      for (const item of items) if (item.pk?.S?.startsWith(ORDER_PREFIX)) onItem(item);
    });
  }
}
