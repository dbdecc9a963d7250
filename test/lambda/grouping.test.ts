/**
 * Exactly-once under grouped transactions, against DynamoDB Local: records of
 * different orders share TransactWriteItems, yet duplicates, replays,
 * out-of-order records, shared customers, a cancelled group and a poison
 * record leave the sink exactly as one transaction per record would.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { createHandler } from '../../lambda/src/handler.js';
import { normalizeDecimal } from '../../lambda/src/lib/decimal.js';
import { packGroups, transactItems, type Write } from '../../lambda/src/pipeline/grouping.js';
import { createKeySource } from '../../lambda/src/pipeline/secretKey.js';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';
import {
  captureOutput,
  makeKeyFile,
  newOrder,
  type OrderFields,
  orderImage,
  streamRecord,
} from './support.js';

const SINK = 'ddb-ingest-ingested';
let dynamo: TestDynamo;
let keyFile: { file: string; key: string };

beforeAll(async () => {
  dynamo = await startTestDynamo();
  await ensureTables(dynamo.ddb, parseStack({}));
  keyFile = await makeKeyFile();
});
afterAll(async () => {
  await dynamo?.stop();
});

interface Call {
  name: string;
  input: { TransactItems?: TransactWriteItem[] } & Record<string, unknown>;
}

/** A sink client that records every call and lets a test act before one is sent. */
function recording(before: (command: Call) => Promise<void> = async () => {}) {
  const calls: Call[] = [];
  const ddb = {
    send: async (command: { constructor: { name: string }; input: Call['input'] }) => {
      const call = { name: command.constructor.name, input: command.input };
      calls.push(call);
      await before(call);
      return dynamo.ddb.send(command as never);
    },
  } as unknown as DynamoDBClient;
  return { ddb, calls };
}

function makeHandler(ddb: DynamoDBClient, groupSize?: number) {
  return createHandler({
    ddb,
    getKey: createKeySource(() => ({ keyFile: keyFile.file })),
    logger: new Logger({ serviceName: 'ddb-ingest-test' }),
    metrics: new Metrics({ namespace: 'DdbIngestTest', serviceName: 'ddb-ingest-test' }),
    tableName: SINK,
    ...(groupSize !== undefined ? { groupSize } : {}),
  });
}

async function run(records: DynamoDBRecord[], handler: ReturnType<typeof makeHandler>) {
  const capture = captureOutput();
  try {
    const response = await handler({ Records: records });
    return { response, lines: capture.lines().map((line) => JSON.parse(line)) };
  } finally {
    capture.restore();
  }
}

async function getItem(pk: string) {
  const out = await dynamo.ddb.send(
    new GetItemCommand({ TableName: SINK, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return out.Item;
}

const cents = (total: string) => Math.round(Number(total) * 100);

/** The sink must hold exactly these final states, and each customer the aggregate recomputed from them. */
async function expectSink(finals: Map<string, OrderFields | 'removed'>, seqs: Map<string, string>) {
  const spent = new Map<string, { count: number; cents: number }>();
  for (const [orderId, final] of finals) {
    const item = await getItem(`ORDER#${orderId}`);
    expect(item?.lastSequenceNumber?.S).toBe(seqs.get(orderId));
    if (final === 'removed') {
      expect(item?.deleted).toEqual({ BOOL: true });
      continue;
    }
    expect([item?.status?.S, normalizeDecimal(item?.total?.N ?? ''), item?.customerId?.S]).toEqual([
      final.status,
      normalizeDecimal(final.total),
      final.customerId,
    ]);
    const sum = spent.get(final.customerId) ?? { count: 0, cents: 0 };
    sum.count += 1;
    if (final.status !== 'CANCELLED') sum.cents += cents(final.total);
    spent.set(final.customerId, sum);
  }
  for (const [customerId, sum] of spent) {
    const aggregate = await getItem(`CUSTOMER#${customerId}`);
    expect([aggregate?.orderCount?.N, cents(aggregate?.totalSpent?.N ?? 'NaN')]).toEqual([
      String(sum.count),
      sum.cents,
    ]);
  }
}

/** Every transaction the handler sent: at most `groupSize` actions, never two on one item. */
function expectTransactionsWellFormed(calls: Call[], groupSize: number) {
  const transactions = calls.filter((c) => c.name === 'TransactWriteItemsCommand');
  for (const tx of transactions) {
    const keys = (tx.input.TransactItems ?? []).map((a) => a.Put?.Item?.pk?.S ?? a.Update?.Key?.pk?.S);
    expect(keys.length).toBeLessThanOrEqual(groupSize);
    expect(new Set(keys).size).toBe(keys.length);
  }
  return transactions;
}

test('packing: one put per item, one merged update per aggregate, within the action limit', () => {
  const write = (key: string, customers: string[]): Write => ({
    record: { key } as Write['record'],
    put: { Put: { TableName: SINK, Item: { pk: { S: key } } } },
    deltas: new Map(
      customers.map((c) => [
        c,
        { attributes: {}, counters: new Map([['orderCount', { units: 1n, scale: 0 }]]) },
      ]),
    ),
    maxRecords: 100,
  });
  const groups = packGroups(
    [
      write('o1', ['c1']),
      write('o2', ['c2']),
      write('o3', ['c1']),
      write('o4', ['c1', 'c3']),
      write('o5', ['c2']),
    ],
    5,
  );
  const shapes = groups.map((g) =>
    transactItems(g, SINK).map((a) => a.Put?.Item?.pk?.S ?? `+${a.Update?.Key?.pk?.S}`),
  );
  // o3 joins o1 for their shared customer; o4 needs 2 more actions and no longer fits.
  expect(shapes).toEqual([
    ['o1', 'o2', 'o3', '+c1', '+c2'],
    ['o4', 'o5', '+c1', '+c3', '+c2'],
  ]);
  const c1 = transactItems(groups[0] as (typeof groups)[0], SINK)[3]?.Update?.ExpressionAttributeValues;
  expect(c1?.[':a0']).toEqual({ N: '2' });
  // An aggregate key equal to an item key of the group goes elsewhere.
  const clash = packGroups([write('x', []), write('y', ['x'])], 100);
  expect(clash.map((g) => g.writes.map((w) => w.record.key))).toEqual([['x'], ['y']]);
});

test('duplicates, replays and out-of-order records in grouped batches: each order in stream order, sink exact', async () => {
  const customers = ['a', 'b', 'c'].map((c) => `cust-grp-${c}-${Date.now()}`);
  const orders = Array.from({ length: 24 }, (_, i) =>
    newOrder({ customerId: customers[i % 3] as string, total: `${i + 1}.10` }),
  );
  let seq = 10_000;
  const stream: DynamoDBRecord[] = [];
  const finals = new Map<string, OrderFields | 'removed'>();
  const seqs = new Map<string, string>();
  for (const step of [0, 1, 2]) {
    for (const [i, order] of orders.entries()) {
      const s = String(seq++);
      seqs.set(order.orderId, s);
      if (step === 2 && i % 5 === 0) {
        finals.set(order.orderId, 'removed');
        stream.push(streamRecord('REMOVE', s, order.orderId, { oldImage: orderImage(order) }));
        continue;
      }
      const version =
        step === 0 ? order : { ...order, status: step === 1 ? 'PAID' : i % 4 ? 'SHIPPED' : 'CANCELLED' };
      finals.set(order.orderId, version);
      stream.push(
        streamRecord(step ? 'MODIFY' : 'INSERT', s, order.orderId, { newImage: orderImage(version) }),
      );
    }
  }
  const { ddb, calls } = recording();
  const handler = makeHandler(ddb, 10);
  // In order with every record twice, then the whole stream replayed newest first.
  const first = await run([...stream.slice(0, 40), ...stream.slice(20, 72)], handler);
  const replay = await run([...stream].reverse(), handler);
  expect(first.response.batchItemFailures).toEqual([]);
  expect(replay.response.batchItemFailures).toEqual([]);
  await expectSink(finals, seqs);

  const transactions = expectTransactionsWellFormed(calls, 10);
  // Grouped: far fewer transactions than applied records.
  const applied = first.lines.filter((l) => l.message === 'record applied').length;
  expect(applied).toBe(72);
  expect(transactions.length).toBeLessThan(applied / 3);
  // Each order's puts were sent in stream order.
  const putsByOrder = new Map<string, bigint[]>();
  for (const tx of transactions) {
    for (const action of tx.input.TransactItems ?? []) {
      const item = action.Put?.Item;
      if (!item?.pk?.S) continue;
      putsByOrder.set(item.pk.S, [
        ...(putsByOrder.get(item.pk.S) ?? []),
        BigInt(item.lastSequenceNumber?.S ?? ''),
      ]);
    }
  }
  expect(putsByOrder.size).toBe(24);
  for (const sequence of putsByOrder.values()) {
    expect(sequence).toEqual([...sequence].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
  }
  // The replay applied nothing: every record was a duplicate or stale.
  expect(replay.lines.filter((l) => l.message === 'record applied')).toHaveLength(0);
  expect(
    replay.lines.filter((l) => l.message === 'record duplicate' || l.message === 'record stale'),
  ).toHaveLength(72);
});

test('two orders of one customer in one group: one update with both deltas', async () => {
  const customerId = `cust-two-${Date.now()}`;
  const a = newOrder({ customerId, total: '0.10' });
  const b = newOrder({ customerId, total: '0.20' });
  const { ddb, calls } = recording();
  const { response } = await run(
    [
      streamRecord('INSERT', '20000', a.orderId, { newImage: orderImage(a) }),
      streamRecord('INSERT', '20001', b.orderId, { newImage: orderImage(b) }),
    ],
    makeHandler(ddb),
  );
  expect(response.batchItemFailures).toEqual([]);
  const [tx, ...more] = expectTransactionsWellFormed(calls, 100);
  expect(more).toEqual([]);
  expect(tx?.input.TransactItems?.map((x) => x.Put?.Item?.pk?.S ?? x.Update?.Key?.pk?.S)).toEqual([
    `ORDER#${a.orderId}`,
    `ORDER#${b.orderId}`,
    `CUSTOMER#${customerId}`,
  ]);
  await expectSink(
    new Map([
      [a.orderId, a],
      [b.orderId, b],
    ]),
    new Map([
      [a.orderId, '20000'],
      [b.orderId, '20001'],
    ]),
  );
  expect(normalizeDecimal((await getItem(`CUSTOMER#${customerId}`))?.totalSpent?.N ?? '')).toBe('0.3');
});

test('a cancelled group with one stale record: only it is read again, the rest is applied once', async () => {
  const customerId = `cust-cancel-${Date.now()}`;
  const orders = Array.from({ length: 8 }, (_, i) => newOrder({ customerId, total: `${i + 1}.00` }));
  await run(
    orders.map((o, i) => streamRecord('INSERT', String(30_000 + i), o.orderId, { newImage: orderImage(o) })),
    makeHandler(dynamo.ddb),
  );
  const victim = orders[3] as OrderFields;
  const newer = { ...victim, status: 'CANCELLED' };
  let raced = false;
  const { ddb, calls } = recording(async (call) => {
    // Between this handler's read and its write, another invocation applies a newer change of the victim.
    if (call.name === 'TransactWriteItemsCommand' && !raced) {
      raced = true;
      const other = await run(
        [streamRecord('MODIFY', '30200', victim.orderId, { newImage: orderImage(newer) })],
        makeHandler(dynamo.ddb),
      );
      expect(other.response.batchItemFailures).toEqual([]);
    }
  });
  const paid = orders.map((o) => ({ ...o, status: 'PAID' }));
  const { response, lines } = await run(
    paid.map((o, i) => streamRecord('MODIFY', String(30_100 + i), o.orderId, { newImage: orderImage(o) })),
    makeHandler(ddb),
  );
  expect(raced).toBe(true);
  expect(response.batchItemFailures).toEqual([]);
  expect(calls.map((c) => c.name)).toEqual([
    'BatchGetItemCommand',
    'TransactWriteItemsCommand',
    'GetItemCommand',
    'TransactWriteItemsCommand',
  ]);
  const [cancelled, retried] = calls.filter((c) => c.name === 'TransactWriteItemsCommand');
  expect(cancelled?.input.TransactItems).toHaveLength(8);
  // PAID keeps the totals: eight puts and no aggregate update. The retry: the seven others.
  expect(retried?.input.TransactItems?.map((x) => x.Put?.Item?.orderId?.S).filter(Boolean)).toEqual(
    orders.filter((o) => o !== victim).map((o) => o.orderId),
  );
  expect((calls[2]?.input.Key as { pk?: { S?: string } } | undefined)?.pk?.S).toBe(`ORDER#${victim.orderId}`);
  const outcomes = lines.filter((l) => l.record).map((l) => [l.record.key, l.outcome, l.attempts]);
  expect(outcomes).toHaveLength(8);
  expect(outcomes).toContainEqual([`ORDER#${victim.orderId}`, 'stale', 2]);
  expect(outcomes.filter(([, outcome, attempts]) => outcome === 'applied' && attempts === 1)).toHaveLength(7);
  await expectSink(
    new Map(orders.map((o, i) => [o.orderId, o === victim ? newer : (paid[i] as OrderFields)])),
    new Map(orders.map((o, i) => [o.orderId, o === victim ? '30200' : String(30_100 + i)])),
  );
});

test('a poison record (its aggregate refuses the write) fails alone; the rest of its group is applied once', async () => {
  const poisoned = `cust-poison-${Date.now()}`;
  await dynamo.ddb.send(
    new PutItemCommand({
      TableName: SINK,
      Item: {
        pk: { S: `CUSTOMER#${poisoned}` },
        customerId: { S: poisoned },
        totalSpent: { S: 'not a number' },
      },
    }),
  );
  const healthy = `cust-healthy-${Date.now()}`;
  const orders = Array.from({ length: 10 }, (_, i) =>
    newOrder({ customerId: i === 6 ? poisoned : healthy, total: `${i + 1}.00` }),
  );
  const records = orders.map((o, i) =>
    streamRecord('INSERT', String(40_000 + i), o.orderId, { newImage: orderImage(o) }),
  );
  const { ddb, calls } = recording();
  const { response, lines } = await run(records, makeHandler(ddb));
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: '40006' }]);
  const failed = lines.filter((l) => l.level === 'ERROR');
  expect(failed.map((l) => [l.message, l.record.sequenceNumber])).toEqual([['record failed', '40006']]);
  expect(await getItem(`ORDER#${orders[6]?.orderId}`)).toBeUndefined();
  const rest = orders.filter((_, i) => i !== 6);
  await expectSink(
    new Map(rest.map((o) => [o.orderId, o])),
    new Map(rest.map((o) => [o.orderId, String(40_000 + orders.indexOf(o))])),
  );
  expectTransactionsWellFormed(calls, 100);
  // Applied once: a second delivery of the same batch changes nothing for the healthy ones.
  const again = await run(records, makeHandler(dynamo.ddb));
  expect(again.response.batchItemFailures).toEqual([{ itemIdentifier: '40006' }]);
  await expectSink(
    new Map(rest.map((o) => [o.orderId, o])),
    new Map(rest.map((o) => [o.orderId, String(40_000 + orders.indexOf(o))])),
  );
});

test('a record refused for a reason of its own (CancellationReasons) is retried alone and fails alone', async () => {
  const orders = Array.from({ length: 5 }, (_, i) => newOrder({ total: `${i + 1}.00` }));
  const refused = orders[2] as OrderFields;
  let cancellations = 0;
  const ddb = {
    send: async (command: { constructor: { name: string }; input: Call['input'] }) => {
      const items = command.input.TransactItems;
      if (
        command instanceof TransactWriteItemsCommand &&
        items?.some((a) => a.Put?.Item?.orderId?.S === refused.orderId)
      ) {
        cancellations++;
        // What DynamoDB answers when one action is throttled or invalid: every action has a reason.
        throw new TransactionCanceledException({
          message: 'Transaction cancelled',
          $metadata: {},
          CancellationReasons: items.map((a) =>
            a.Put?.Item?.orderId?.S === refused.orderId
              ? { Code: 'ValidationError', Message: 'bad' }
              : { Code: 'None' },
          ),
        });
      }
      return dynamo.ddb.send(command as never);
    },
  } as unknown as DynamoDBClient;
  const { response, lines } = await run(
    orders.map((o, i) => streamRecord('INSERT', String(50_000 + i), o.orderId, { newImage: orderImage(o) })),
    makeHandler(ddb),
  );
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: '50002' }]);
  // Once in the group, once alone.
  expect(cancellations).toBe(2);
  const error = lines.find((l) => l.level === 'ERROR');
  expect([error?.errorName, error?.reason]).toEqual([
    'WriteRefusedError',
    `the sink refused the write of ORDER#${refused.orderId}: ValidationError`,
  ]);
  const rest = orders.filter((o) => o !== refused);
  await expectSink(
    new Map(rest.map((o) => [o.orderId, o])),
    new Map(rest.map((o) => [o.orderId, String(50_000 + orders.indexOf(o))])),
  );
});

test('round trips: the handler reports them; a group of 20 new orders takes one read and one write', async () => {
  const orders = Array.from({ length: 20 }, () => newOrder());
  const records = (base: number) =>
    orders.map((o, i) =>
      streamRecord('MODIFY', String(base + i), o.orderId, {
        newImage: orderImage({ ...o, status: 'CANCELLED' }),
      }),
    );
  const grouped = await run(
    orders.map((o, i) => streamRecord('INSERT', String(60_000 + i), o.orderId, { newImage: orderImage(o) })),
    makeHandler(dynamo.ddb),
  );
  const single = await run(records(60_100), makeHandler(dynamo.ddb, 2));
  const tripsOf = (lines: { message?: string; sinkRoundTrips?: number; SinkRoundTrips?: number }[]) => [
    lines.find((l) => l.message === 'batch done')?.sinkRoundTrips,
    lines.find((l) => l.SinkRoundTrips !== undefined)?.SinkRoundTrips,
  ];
  expect(tripsOf(grouped.lines)).toEqual([2, 2]);
  // Group size 2: one record (put + aggregate) per transaction, as before grouping.
  expect(tripsOf(single.lines)).toEqual([21, 21]);
});

test('a group size out of range fails the whole batch with a clear message', async () => {
  const order = newOrder();
  const previous = process.env.SINK_GROUP_SIZE;
  process.env.SINK_GROUP_SIZE = '101';
  try {
    await expect(
      run(
        [streamRecord('INSERT', '70000', order.orderId, { newImage: orderImage(order) })],
        makeHandler(dynamo.ddb),
      ),
    ).rejects.toThrow('SINK_GROUP_SIZE must be an integer from 1 to 100 (actions per transaction), not 101');
  } finally {
    if (previous === undefined) delete process.env.SINK_GROUP_SIZE;
    else process.env.SINK_GROUP_SIZE = previous;
  }
  expect(await getItem(`ORDER#${order.orderId}`)).toBeUndefined();
});
