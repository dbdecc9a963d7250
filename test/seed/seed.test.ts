import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { toCliError } from '../../src/errorMessages.js';
import { RuntimeError, UsageError } from '../../src/errors.js';
import { runSeed } from '../../src/seed/index.js';
import { startTestDynamo, type TestDynamo, withSeedClient } from '../helpers/dynamodb.js';
import { shownRejection } from '../helpers/errors.js';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy.js';

const stack = parseStack({});
const TABLE = stack.source_table.name;
let a: TestDynamo;
let b: TestDynamo;

beforeAll(async () => {
  // One after the other: if the second cannot start, the first is already in `a` for afterAll to stop.
  a = await startTestDynamo();
  b = await startTestDynamo();
  await Promise.all([ensureTables(a.ddb, stack), ensureTables(b.ddb, stack)]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

async function scanAll(d: TestDynamo): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await d.ddb.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort((x, y) => (x.orderId?.S ?? '').localeCompare(y.orderId?.S ?? ''));
}

async function streamEventCounts(d: TestDynamo): Promise<Record<string, number>> {
  const { streamArn } = await ensureTables(d.ddb, stack);
  const desc = await d.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const counts: Record<string, number> = {};
  for (const shard of desc.StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await d.streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (iterator) {
      const page = await d.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const r of page.Records ?? []) counts[r.eventName ?? '?'] = (counts[r.eventName ?? '?'] ?? 0) + 1;
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return counts;
}

test('the same --seed gives identical items in two fresh stacks; updates and deletes reach the stream', async () => {
  const options = { tableName: TABLE, count: 1000, updates: 150, deletes: 60, seed: 42 };
  const [ra, rb] = await Promise.all([
    runSeed({ ...options, client: a.ddb }),
    runSeed({ ...options, client: b.ddb }),
  ]);
  expect(ra).toMatchObject({ inserted: 1000, updated: 150, deleted: 60, retries: 0, seed: 42 });
  expect(rb).toMatchObject({ inserted: 1000, updated: 150, deleted: 60 });
  const [itemsA, itemsB] = await Promise.all([scanAll(a), scanAll(b)]);
  expect(itemsA).toHaveLength(940);
  expect(itemsA).toEqual(itemsB);

  const sample = itemsA[0] as Record<string, AttributeValue>;
  expect(Object.keys(sample).sort()).toEqual(
    [
      'createdAt',
      'currency',
      'customerEmail',
      'customerId',
      'customerName',
      'items',
      'orderId',
      'status',
      'total',
      'updatedAt',
    ].sort(),
  );
  for (const item of itemsA) {
    const cents = (item.items?.L ?? []).reduce((sum, line) => {
      const m = line.M ?? {};
      return sum + Number(m.quantity?.N) * Math.round(Number(m.unitPrice?.N) * 100);
    }, 0);
    expect(Math.round(Number(item.total?.N) * 100)).toBe(cents);
    expect(['PLACED', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED']).toContain(item.status?.S);
  }
  const customers = new Set(itemsA.map((i) => i.customerId?.S));
  expect(customers.size).toBeLessThan(itemsA.length);

  expect(await streamEventCounts(a)).toEqual({ INSERT: 1000, MODIFY: 150, REMOVE: 60 });
});

test('bad counts are usage errors', async () => {
  expect(
    await shownRejection(runSeed({ client: a.ddb, tableName: TABLE, count: 5, updates: 6 })),
  ).toBeInstanceOf(UsageError);
  expect(
    await shownRejection(runSeed({ client: a.ddb, tableName: TABLE, count: 5, deletes: 6 })),
  ).toBeInstanceOf(UsageError);
});

test('an abort stops the writes in flight: what is in the table is what was written, plus at most what was cut off', async () => {
  const tableName = 'abort-orders';
  await ensureTables(a.ddb, parseStack({ source_table: { name: tableName } }));
  const controller = new AbortController();
  await withSeedClient(a.endpoint, async (client) => {
    const result = await runSeed({
      client,
      tableName,
      count: 50_000,
      concurrency: 8,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 500) controller.abort();
      },
    });
    expect(result.inserted).toBeGreaterThanOrEqual(500);
    expect(result.inserted).toBeLessThan(50_000);
    const scan = await a.ddb.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));
    expect(scan.Count).toBeGreaterThanOrEqual(result.inserted);
    expect(scan.Count).toBeLessThanOrEqual(result.inserted + (result.unconfirmed ?? 0));
  });
});

describe('through a fault-injecting proxy', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(b.endpoint);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  test('UnprocessedItems, throttling and 5xx are retried: nothing lost, retries counted', async () => {
    let n = 0;
    proxy.decide = (op) => {
      if (op !== 'BatchWriteItem') return undefined;
      n++;
      if (n % 5 === 0) return { kind: 'throttle' };
      if (n % 7 === 0) return { kind: 'serverError' };
      if (n % 3 === 0) return { kind: 'unprocessed', keep: 10 };
      return undefined;
    };
    await withSeedClient(proxy.endpoint, async (client) => {
      const tableName = 'faults-orders';
      const faultStack = parseStack({ source_table: { name: tableName } });
      await ensureTables(b.ddb, faultStack);
      const result = await runSeed({ client, tableName, count: 500, seed: 7 });
      expect(result.inserted).toBe(500);
      const injected = Object.values(proxy.injected).reduce((x, y) => x + y, 0);
      expect(injected).toBeGreaterThan(5);
      expect(result.retries).toBe(injected);
      const scan = await b.ddb.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));
      expect(scan.Count).toBe(500);
    });
  });

  test('persistent throttling gives up after the capped attempts and says how many items were not written', async () => {
    proxy.decide = (op) => (op === 'BatchWriteItem' ? { kind: 'throttle' } : undefined);
    await withSeedClient(proxy.endpoint, async (client) => {
      const error = await runSeed({
        client,
        tableName: TABLE,
        count: 100,
        maxAttempts: 3,
        concurrency: 2,
      }).catch((e: unknown) => toCliError(e) ?? e);
      expect(error).toBeInstanceOf(RuntimeError);
      expect((error as Error).message).toMatch(/100 of 100 items were not written/);
      expect((error as RuntimeError).hint).toContain('lower --concurrency');
    });
  });

  test('persistent 5xx: a service failure with its own hint, not a throttling one', async () => {
    proxy.decide = (op) => (op === 'BatchWriteItem' ? { kind: 'serverError' } : undefined);
    await withSeedClient(proxy.endpoint, async (client) => {
      const error = (await shownRejection(
        runSeed({ client, tableName: TABLE, count: 30, maxAttempts: 2, concurrency: 1 }),
      )) as RuntimeError;
      expect(error).toBeInstanceOf(RuntimeError);
      expect(error.message).toMatch(
        new RegExp(
          `30 of 30 items were not written \\(DynamoDB at ${proxy.endpoint} failed on its side \\(BatchWriteItem\\)`,
        ),
      );
      expect(error.hint).toContain('The emulator failed this call');
      expect(error.hint).not.toMatch(/throttl|--concurrency/);
    });
  });
});

describe('a seed that cannot write says why, with a hint for that cause', () => {
  const seedWith = (conn: { endpoint: string }, tableName: string) =>
    withSeedClient(
      conn.endpoint,
      async (client) =>
        (await shownRejection(runSeed({ client, tableName, count: 10, maxAttempts: 2 }))) as RuntimeError,
    );

  test('nothing listens at the endpoint', async () => {
    const error = await seedWith({ endpoint: 'http://127.0.0.1:1' }, TABLE);
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error.message).toBe(
      'Seeding stopped during inserts: 10 of 10 items were not written (Cannot reach DynamoDB at http://127.0.0.1:1 (BatchWriteItem): ECONNREFUSED).',
    );
    expect(error.hint).toMatch(/^Nothing answers at http:\/\/127\.0\.0\.1:1/);
  });

  test('the table does not exist there', async () => {
    const error = await seedWith(a, 'no-such-table');
    expect(error.message).toBe(
      `Seeding stopped during inserts: table no-such-table does not exist at ${a.endpoint}; 10 of 10 items were not written.`,
    );
    expect(error.hint).toContain('create the tables with `ddb-ingest up`');
  });

  test("the table's key is not the one seed writes", async () => {
    await ensureTables(a.ddb, parseStack({ source_table: { name: 'pk-orders', hash_key: 'pk' } }));
    const error = await seedWith(a, 'pk-orders');
    expect(error.message).toMatch(
      new RegExp(
        `^Seeding stopped during inserts: DynamoDB refused the items for pk-orders at ${a.endpoint}: .+; 10 of 10 items were not written\\.$`,
      ),
    );
    expect(error.hint).toContain('source_table.hash_key');
  });
});
