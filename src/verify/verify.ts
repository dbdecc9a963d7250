import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CUSTOMER_PREFIX,
  normalizeDecimal,
  ORDER_PREFIX,
  orderContribution,
  projectOrder,
} from '../../lambda/src/domain/orders.js';
import { addDecimals, formatDecimal, parseDecimal } from '../../lambda/src/lib/decimal.js';
import { VerifyError } from './errors.js';

/** How `verify` reads and compares. */
export interface VerifyOptions {
  client: Pick<DynamoDBClient, 'send'>;
  sourceTable: string;
  sinkTable: string;
  /** The pipeline's PII key (emailHash is recomputed with it); held in memory only. */
  secretKey: Buffer;
  /** Parallel scan segments per table. */
  segments?: number;
  /**
   * Hash buckets the comparison is split into. Scans spill to one temp file
   * per bucket and each bucket is compared alone, so memory holds about
   * 1/buckets of the data whatever the table size.
   */
  buckets?: number;
  /** Where the spill files go (removed afterwards). */
  tmpDir?: string;
  /** Examples kept per kind of difference. */
  examples?: number;
  onProgress?: (progress: { table: 'source' | 'sink'; items: number }) => void;
  /**
   * Called (and awaited) for every difference, not only the kept examples, so
   * a repair can follow the comparison without holding the list in memory.
   */
  onDifference?: (kind: DifferenceKind, diff: Difference) => Promise<void> | void;
}

/** The kinds of difference `verify` reports. */
export type DifferenceKind = 'missing' | 'extra' | 'mismatched' | 'invalidSource';

export interface Difference {
  pk: string;
  /** The attribute that differs (mismatches only). */
  field?: string;
  expected?: unknown;
  actual?: unknown;
}

/** The `verify --json` document. */
export interface VerifyReport {
  ok: boolean;
  orders: { source: number; sink: number; matched: number };
  customers: { expected: number; sink: number; matched: number };
  missing: { count: number; examples: Difference[] };
  extra: { count: number; examples: Difference[] };
  mismatched: { count: number; examples: Difference[] };
  /** Source items the projection cannot read (the handler fails on them too). */
  invalidSource: { count: number; examples: Difference[] };
  /** Sink tombstones (removed orders), which count as absent. */
  tombstones: number;
}

/** A line of a spill file: an expected or an actual sink entry. */
type Entry =
  | { k: 'O'; pk: string; v: Record<string, string | number> }
  | { k: 'C'; pk: string; n: number; s: string };

const ORDER_FIELDS = [
  'orderId',
  'customerId',
  'status',
  'total',
  'currency',
  'createdAt',
  'updatedAt',
  'itemCount',
  'emailHash',
];
const PII_FIELDS = ['customerName', 'customerEmail', 'items'];

function bucketOf(pk: string, buckets: number): number {
  return createHash('md5').update(pk).digest().readUInt32BE(0) % buckets;
}

/** Appends lines to bucket files, one write chain per file so lines never interleave. */
class Spill {
  private readonly chains = new Map<string, Promise<void>>();
  constructor(
    readonly dir: string,
    readonly buckets: number,
  ) {}
  file(side: 'expected' | 'actual', bucket: number): string {
    return path.join(this.dir, `${side}-${bucket}.ndjson`);
  }
  async write(side: 'expected' | 'actual', entries: Entry[]): Promise<void> {
    const byFile = new Map<string, string[]>();
    for (const e of entries) {
      const file = this.file(side, bucketOf(e.pk, this.buckets));
      const lines = byFile.get(file) ?? [];
      lines.push(`${JSON.stringify(e)}\n`);
      byFile.set(file, lines);
    }
    await Promise.all(
      [...byFile].map(([file, lines]) => {
        const next = (this.chains.get(file) ?? Promise.resolve()).then(() =>
          appendFile(file, lines.join('')),
        );
        this.chains.set(file, next);
        return next;
      }),
    );
  }
  async settle(): Promise<void> {
    await Promise.all(this.chains.values());
  }
}

/** Parallel, paginated, consistent scan: `onPage` per page, never the whole table in memory. */
export async function scanTable(
  client: VerifyOptions['client'],
  table: string,
  segments: number,
  onPage: (items: Record<string, AttributeValue>[]) => Promise<void>,
): Promise<void> {
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client
          .send(
            new ScanCommand({
              TableName: table,
              Segment: segment,
              TotalSegments: segments,
              ExclusiveStartKey: start,
              ConsistentRead: true,
            }),
          )
          .catch((err: unknown) => {
            throw missingTable(err, table);
          });
        await onPage(page.Items ?? []);
        start = page.LastEvaluatedKey;
      } while (start);
    }),
  );
}

/** A missing table is the user's to fix (run `up`, or fix the stack file), not a crash. */
export function missingTable(err: unknown, table: string): unknown {
  if ((err as Error)?.name !== 'ResourceNotFoundException') return err;
  return new VerifyError('verify.table-missing', `Table ${table} does not exist.`, {
    cause: err,
    details: { table },
  });
}

async function* readEntries(file: string): AsyncGenerator<Entry> {
  const stream = createReadStream(file, 'utf8');
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line) yield JSON.parse(line) as Entry;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Checks the sink against the contract's projection of the source: every
 * live ORDER# item matches its source order, nothing extra, and every
 * CUSTOMER# aggregate equals the value recomputed from the source.
 */
export async function verifySink(options: VerifyOptions): Promise<VerifyReport> {
  const segments = options.segments ?? 4;
  const buckets = options.buckets ?? 16;
  const keep = options.examples ?? 5;
  const dir = await mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'ddb-ingest-verify-'));
  const spill = new Spill(dir, buckets);
  const report: VerifyReport = {
    ok: false,
    orders: { source: 0, sink: 0, matched: 0 },
    customers: { expected: 0, sink: 0, matched: 0 },
    missing: { count: 0, examples: [] },
    extra: { count: 0, examples: [] },
    mismatched: { count: 0, examples: [] },
    invalidSource: { count: 0, examples: [] },
    tombstones: 0,
  };
  const note = async (kind: DifferenceKind, diff: Difference) => {
    const list = report[kind];
    list.count++;
    if (list.examples.length < keep) list.examples.push(diff);
    await options.onDifference?.(kind, diff);
  };
  try {
    let sourceItems = 0;
    await scanTable(options.client, options.sourceTable, segments, async (items) => {
      const entries: Entry[] = [];
      for (const item of items) {
        try {
          const order = projectOrder(item, options.secretKey);
          const { pk, ...fields } = order;
          entries.push({ k: 'O', pk, v: fields });
          const contribution = orderContribution(order);
          entries.push({ k: 'C', pk: contribution.pk, n: 1, s: contribution.counters.totalSpent ?? '0' });
        } catch (err) {
          await note('invalidSource', {
            pk: `${ORDER_PREFIX}${item.orderId?.S ?? '?'}`,
            actual: (err as Error).message,
          });
        }
      }
      report.orders.source += items.length;
      sourceItems += items.length;
      options.onProgress?.({ table: 'source', items: sourceItems });
      await spill.write('expected', entries);
    });
    let sinkItems = 0;
    await scanTable(options.client, options.sinkTable, segments, async (items) => {
      const entries: Entry[] = [];
      for (const item of items) {
        const pk = item.pk?.S ?? '';
        if (pk.startsWith(ORDER_PREFIX)) {
          if (item.deleted?.BOOL) {
            report.tombstones++;
            continue;
          }
          const v: Record<string, string | number> = {};
          for (const field of ORDER_FIELDS) {
            const value = item[field];
            if (value?.S !== undefined) v[field] = value.S;
            else if (value?.N !== undefined)
              v[field] = field === 'itemCount' ? Number(value.N) : normalizeDecimal(value.N);
          }
          for (const field of PII_FIELDS) if (item[field]) v[field] = '(present)';
          entries.push({ k: 'O', pk, v });
        } else if (pk.startsWith(CUSTOMER_PREFIX)) {
          entries.push({
            k: 'C',
            pk,
            n: Number(item.orderCount?.N ?? '0'),
            s: normalizeDecimal(item.totalSpent?.N ?? '0'),
          });
        } else {
          await note('extra', { pk: pk || '(no pk)' });
        }
      }
      sinkItems += items.length;
      options.onProgress?.({ table: 'sink', items: sinkItems });
      await spill.write('actual', entries);
    });
    await spill.settle();

    for (let bucket = 0; bucket < buckets; bucket++) {
      const expectedOrders = new Map<string, Record<string, string | number>>();
      const expectedCustomers = new Map<string, { n: number; s: ReturnType<typeof addDecimals> }>();
      for await (const e of readEntries(spill.file('expected', bucket))) {
        if (e.k === 'O') {
          expectedOrders.set(e.pk, e.v);
        } else {
          const current = expectedCustomers.get(e.pk) ?? { n: 0, s: { units: 0n, scale: 0 } };
          const add = parseDecimal(e.s) ?? { units: 0n, scale: 0 };
          expectedCustomers.set(e.pk, { n: current.n + e.n, s: addDecimals(current.s, add) });
        }
      }
      report.customers.expected += expectedCustomers.size;
      for await (const e of readEntries(spill.file('actual', bucket))) {
        if (e.k === 'O') {
          report.orders.sink++;
          const expected = expectedOrders.get(e.pk);
          if (!expected) {
            await note('extra', { pk: e.pk });
            continue;
          }
          expectedOrders.delete(e.pk);
          const diff = [...ORDER_FIELDS, ...PII_FIELDS].find((f) => expected[f] !== e.v[f]);
          if (diff)
            await note('mismatched', { pk: e.pk, field: diff, expected: expected[diff], actual: e.v[diff] });
          else report.orders.matched++;
        } else {
          const expected = expectedCustomers.get(e.pk);
          expectedCustomers.delete(e.pk);
          const actualSpent = e.s;
          if (!expected) {
            // An emptied aggregate (0 orders, 0 spent) counts as absent.
            if (e.n !== 0 || normalizeDecimal(actualSpent) !== '0') await note('extra', { pk: e.pk });
            continue;
          }
          report.customers.sink++;
          const spent = formatDecimal(expected.s);
          if (expected.n !== e.n) {
            await note('mismatched', { pk: e.pk, field: 'orderCount', expected: expected.n, actual: e.n });
          } else if (normalizeDecimal(spent) !== normalizeDecimal(actualSpent)) {
            await note('mismatched', { pk: e.pk, field: 'totalSpent', expected: spent, actual: actualSpent });
          } else {
            report.customers.matched++;
          }
        }
      }
      for (const pk of expectedOrders.keys()) await note('missing', { pk });
      for (const pk of expectedCustomers.keys()) await note('missing', { pk });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  report.ok =
    report.missing.count === 0 &&
    report.extra.count === 0 &&
    report.mismatched.count === 0 &&
    report.invalidSource.count === 0;
  return report;
}
