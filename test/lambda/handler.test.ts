import { createHmac } from 'node:crypto';
import { chmod } from 'node:fs/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  type DynamoDBClient,
  GetItemCommand,
  type PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { createHandler } from '../../lambda/src/handler.js';
import { normalizeDecimal } from '../../lambda/src/lib/decimal.js';
import { createKeySource } from '../../lambda/src/pipeline/secretKey.js';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';
import { captureOutput, makeKeyFile, newOrder, orderImage, streamRecord } from './support.js';

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

function makeHandler(ddb: DynamoDBClient = dynamo.ddb, file = keyFile.file) {
  return createHandler({
    ddb,
    getKey: createKeySource(() => ({ keyFile: file })),
    logger: new Logger({ serviceName: 'ddb-ingest-test' }),
    metrics: new Metrics({ namespace: 'DdbIngestTest', serviceName: 'ddb-ingest-test' }),
    tableName: SINK,
  });
}

/** Runs the handler with stdout captured; returns its response and the JSON lines it printed. */
async function run(records: DynamoDBRecord[], handler = makeHandler()) {
  const capture = captureOutput();
  try {
    const response = await handler({ Records: records });
    return { response, lines: capture.lines() };
  } finally {
    capture.restore();
  }
}

/** The stored item, with numbers in canonical form (DynamoDB Local may keep "5.0" from an ADD). */
async function getItem(pk: string) {
  const out = await dynamo.ddb.send(
    new GetItemCommand({ TableName: SINK, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  if (!out.Item) return undefined;
  return Object.fromEntries(
    Object.entries(out.Item).map(([name, value]) => [
      name,
      value.N === undefined ? value : { N: normalizeDecimal(value.N) },
    ]),
  );
}

function expectedHash(email: string): string {
  return createHmac('sha256', Buffer.from(keyFile.key, 'utf8'))
    .update(email.trim().toLowerCase())
    .digest('hex');
}

test('INSERT writes the order item without PII and starts the customer aggregate', async () => {
  const order = newOrder();
  const { response } = await run([
    streamRecord('INSERT', '100', order.orderId, { newImage: orderImage(order) }),
  ]);
  expect(response).toEqual({ batchItemFailures: [] });
  expect(await getItem(`ORDER#${order.orderId}`)).toEqual({
    pk: { S: `ORDER#${order.orderId}` },
    orderId: { S: order.orderId },
    customerId: { S: order.customerId },
    status: { S: 'PLACED' },
    total: { N: '20.2' },
    currency: { S: 'EUR' },
    createdAt: { S: order.createdAt },
    updatedAt: { S: order.updatedAt },
    itemCount: { N: '3' },
    emailHash: { S: expectedHash(order.customerEmail) },
    lastSequenceNumber: { S: '100' },
  });
  expect(await getItem(`CUSTOMER#${order.customerId}`)).toEqual({
    pk: { S: `CUSTOMER#${order.customerId}` },
    customerId: { S: order.customerId },
    orderCount: { N: '1' },
    totalSpent: { N: '20.2' },
  });
});

test('MODIFY updates the order; CANCELLED keeps it counted but not spent; totals stay exact', async () => {
  const a = newOrder({ total: '0.10' });
  const b = newOrder({ customerId: a.customerId, total: '0.20' });
  await run([
    streamRecord('INSERT', '100', a.orderId, { newImage: orderImage(a) }),
    streamRecord('INSERT', '101', b.orderId, { newImage: orderImage(b) }),
  ]);
  // 0.1 + 0.2 is exactly 0.3 here, unlike in floating point.
  expect((await getItem(`CUSTOMER#${a.customerId}`))?.totalSpent).toEqual({ N: '0.3' });

  const paid = { ...a, status: 'PAID', total: '12.34' };
  await run([
    streamRecord('MODIFY', '102', a.orderId, { newImage: orderImage(paid), oldImage: orderImage(a) }),
  ]);
  expect((await getItem(`ORDER#${a.orderId}`))?.status).toEqual({ S: 'PAID' });
  expect((await getItem(`CUSTOMER#${a.customerId}`))?.totalSpent).toEqual({ N: '12.54' });

  const cancelled = { ...paid, status: 'CANCELLED' };
  await run([
    streamRecord('MODIFY', '103', a.orderId, { newImage: orderImage(cancelled), oldImage: orderImage(paid) }),
  ]);
  const aggregate = await getItem(`CUSTOMER#${a.customerId}`);
  expect(aggregate?.orderCount).toEqual({ N: '2' });
  expect(aggregate?.totalSpent).toEqual({ N: '0.2' });
});

test('REMOVE leaves a tombstone and takes the order out of the aggregate; a late INSERT does not resurrect it', async () => {
  const order = newOrder();
  const insert = streamRecord('INSERT', '200', order.orderId, { newImage: orderImage(order) });
  await run([insert]);
  await run([streamRecord('REMOVE', '201', order.orderId, { oldImage: orderImage(order) })]);
  expect(await getItem(`ORDER#${order.orderId}`)).toEqual({
    pk: { S: `ORDER#${order.orderId}` },
    deleted: { BOOL: true },
    lastSequenceNumber: { S: '201' },
  });
  const aggregate = await getItem(`CUSTOMER#${order.customerId}`);
  expect(aggregate?.orderCount).toEqual({ N: '0' });
  expect(aggregate?.totalSpent).toEqual({ N: '0' });

  const { response, lines } = await run([insert]);
  expect(response).toEqual({ batchItemFailures: [] });
  expect((await getItem(`ORDER#${order.orderId}`))?.deleted).toEqual({ BOOL: true });
  expect((await getItem(`CUSTOMER#${order.customerId}`))?.orderCount).toEqual({ N: '0' });
  expect(lines.map((line) => JSON.parse(line)).find((l) => l.message === 'record stale')).toBeDefined();
});

test('REMOVE before INSERT (out of order) ends with the order absent and the aggregate untouched', async () => {
  const order = newOrder();
  await run([
    streamRecord('REMOVE', '301', order.orderId, { oldImage: orderImage(order) }),
    streamRecord('INSERT', '300', order.orderId, { newImage: orderImage(order) }),
  ]);
  expect((await getItem(`ORDER#${order.orderId}`))?.deleted).toEqual({ BOOL: true });
  expect(await getItem(`CUSTOMER#${order.customerId}`)).toBeUndefined();
});

test('duplicates change nothing and stale records never overwrite newer state', async () => {
  const order = newOrder();
  const v2 = { ...order, status: 'SHIPPED', total: '5.00' };
  const v1 = { ...order, status: 'PAID', total: '7.00' };
  const insert = streamRecord('INSERT', '400', order.orderId, { newImage: orderImage(order) });
  const newer = streamRecord('MODIFY', '402', order.orderId, { newImage: orderImage(v2) });
  const older = streamRecord('MODIFY', '401', order.orderId, { newImage: orderImage(v1) });
  const { response, lines } = await run([insert, insert, newer, older, newer, insert]);
  expect(response).toEqual({ batchItemFailures: [] });
  const item = await getItem(`ORDER#${order.orderId}`);
  expect(item?.status).toEqual({ S: 'SHIPPED' });
  expect(item?.lastSequenceNumber).toEqual({ S: '402' });
  const aggregate = await getItem(`CUSTOMER#${order.customerId}`);
  expect(aggregate?.orderCount).toEqual({ N: '1' });
  expect(aggregate?.totalSpent).toEqual({ N: '5' });
  const outcomes = lines
    .map((line) => JSON.parse(line))
    .filter((l) => l.record)
    .map((l) => l.outcome);
  expect(outcomes).toEqual(['applied', 'duplicate', 'applied', 'stale', 'duplicate', 'stale']);
});

test('sequence numbers compare as integers, not as strings (9 < 10, 40 digits)', async () => {
  const order = newOrder();
  const nine = { ...order, status: 'PAID' };
  const ten = { ...order, status: 'SHIPPED' };
  await run([
    streamRecord('MODIFY', '10', order.orderId, { newImage: orderImage(ten) }),
    streamRecord('MODIFY', '9', order.orderId, { newImage: orderImage(nine) }),
  ]);
  expect((await getItem(`ORDER#${order.orderId}`))?.status).toEqual({ S: 'SHIPPED' });

  const big = newOrder();
  const low = '9999999999999999999999999999999999999'; // 37 digits
  const high = '1000000000000000000000000000000000000001'; // 40 digits
  await run([
    streamRecord('MODIFY', high, big.orderId, { newImage: orderImage({ ...big, status: 'DELIVERED' }) }),
    streamRecord('MODIFY', low, big.orderId, { newImage: orderImage({ ...big, status: 'PAID' }) }),
  ]);
  const item = await getItem(`ORDER#${big.orderId}`);
  expect(item?.status).toEqual({ S: 'DELIVERED' });
  expect(item?.lastSequenceNumber).toEqual({ S: high });
});

test('a MODIFY that changes customerId moves the order between aggregates', async () => {
  const order = newOrder({ total: '40.00' });
  const other = `cust-moved-${order.orderId.slice(0, 6)}`;
  await run([streamRecord('INSERT', '500', order.orderId, { newImage: orderImage(order) })]);
  const moved = { ...order, customerId: other };
  await run([
    streamRecord('MODIFY', '501', order.orderId, {
      newImage: orderImage(moved),
      oldImage: orderImage(order),
    }),
  ]);
  const before = await getItem(`CUSTOMER#${order.customerId}`);
  const after = await getItem(`CUSTOMER#${other}`);
  expect([before?.orderCount, before?.totalSpent]).toEqual([{ N: '0' }, { N: '0' }]);
  expect([after?.orderCount, after?.totalSpent]).toEqual([{ N: '1' }, { N: '40' }]);
});

test('malformed records fail alone, by sequence number, with a logged reason; the rest is applied', async () => {
  const good = newOrder();
  const noKey = streamRecord('INSERT', '601', 'x', { newImage: orderImage(newOrder()) });
  delete noKey.dynamodb?.Keys;
  const badTotalOrder = newOrder();
  const badTotal = streamRecord('INSERT', '602', badTotalOrder.orderId, {
    newImage: { ...orderImage(badTotalOrder), total: { N: 'twelve' } },
  });
  const noImage = streamRecord('MODIFY', '603', newOrder().orderId);
  const { response, lines } = await run([
    noKey,
    streamRecord('INSERT', '600', good.orderId, { newImage: orderImage(good) }),
    badTotal,
    noImage,
  ]);
  expect(response).toEqual({
    batchItemFailures: [{ itemIdentifier: '601' }, { itemIdentifier: '602' }, { itemIdentifier: '603' }],
  });
  expect((await getItem(`ORDER#${good.orderId}`))?.lastSequenceNumber).toEqual({ S: '600' });
  expect(await getItem(`ORDER#${badTotalOrder.orderId}`)).toBeUndefined();
  const errors = lines.map((line) => JSON.parse(line)).filter((l) => l.level === 'ERROR');
  expect(errors.map((e) => [e.message, e.record.sequenceNumber, e.reason])).toEqual([
    ['record malformed', '601', 'dynamodb.Keys is missing'],
    ['record malformed', '602', 'NewImage.total is not a decimal number'],
    [
      'record malformed',
      '603',
      'dynamodb.NewImage is missing from a MODIFY record (the stream needs NEW_IMAGE or NEW_AND_OLD_IMAGES)',
    ],
  ]);
});

test('a batch whose every record fails is still a per-record response', async () => {
  const bad = streamRecord('INSERT', '700', newOrder().orderId);
  expect((await run([bad])).response).toEqual({ batchItemFailures: [{ itemIdentifier: '700' }] });
});

test('logs are one JSON line each with record context and hold no PII or key; metrics are EMF', async () => {
  const order = newOrder({ customerName: 'Grace Hopper', customerEmail: 'grace.hopper@navy.example' });
  const { lines } = await run([
    streamRecord('INSERT', '800', order.orderId, { newImage: orderImage(order) }),
    streamRecord('MODIFY', '801', order.orderId, { newImage: orderImage({ ...order, total: 'x' }) }),
    streamRecord('INSERT', '800', order.orderId, { newImage: orderImage(order) }),
  ]);
  const text = lines.join('\n');
  for (const secret of ['grace.hopper', 'Grace Hopper', 'Hopper', keyFile.key, keyFile.key.slice(0, 16)]) {
    expect(text).not.toContain(secret);
  }
  const parsed = lines.map((line) => JSON.parse(line));
  const recordLines = parsed.filter((l) => l.record);
  expect(recordLines).toHaveLength(3);
  for (const line of recordLines) {
    expect(line.record).toEqual({
      eventID: expect.any(String),
      eventName: expect.stringMatching(/^(INSERT|MODIFY)$/),
      key: `ORDER#${order.orderId}`,
      sequenceNumber: expect.stringMatching(/^80[01]$/),
    });
  }
  const emf = parsed.filter((l) => l._aws);
  const processed = emf.filter((l) => l.RecordsProcessed !== undefined);
  expect(processed.map((l) => [l.eventName, l.RecordsProcessed])).toEqual([['INSERT', 2]]);
  const main = emf.find((l) => l.RecordsFailed !== undefined);
  expect(main).toMatchObject({ RecordsFailed: 1, RecordsSkippedStale: 1 });
  expect(main?._aws.CloudWatchMetrics[0].Namespace).toBe('DdbIngestTest');
  expect(main?.ProcessingLag).toEqual([expect.any(Number), expect.any(Number)]);
});

test('without a configured key the whole batch fails with a clear error and nothing is written', async () => {
  const order = newOrder();
  const handler = createHandler({
    ddb: dynamo.ddb,
    getKey: createKeySource(() => ({})),
    logger: new Logger({ serviceName: 'ddb-ingest-test' }),
    metrics: new Metrics({ namespace: 'DdbIngestTest' }),
    tableName: SINK,
  });
  const capture = captureOutput();
  try {
    await expect(
      handler({ Records: [streamRecord('INSERT', '900', order.orderId, { newImage: orderImage(order) })] }),
    ).rejects.toThrow(/no PII key configured: set PII_KEY_PARAMETER .* or PII_KEY_FILE/);
  } finally {
    capture.restore();
  }
  expect(await getItem(`ORDER#${order.orderId}`)).toBeUndefined();
});

test('a key file readable by others is refused', async () => {
  const loose = await makeKeyFile();
  await chmod(loose.file, 0o644);
  const capture = captureOutput();
  try {
    await expect(makeHandler(dynamo.ddb, loose.file)({ Records: [] })).rejects.toThrow(/chmod 600/);
  } finally {
    capture.restore();
  }
});

test('a concurrent writer between read and write makes the record re-read and retry', async () => {
  const order = newOrder({ total: '3.00' });
  await run([streamRecord('INSERT', '1000', order.orderId, { newImage: orderImage(order) })]);
  // Another writer lands a newer version between this handler's read and its transaction.
  let raced = false;
  const racing = {
    send: async (command: unknown) => {
      if (command instanceof TransactWriteItemsCommand && !raced) {
        raced = true;
        await run([
          streamRecord('MODIFY', '1002', order.orderId, {
            newImage: orderImage({ ...order, status: 'CANCELLED' }),
          }),
        ]);
      }
      return dynamo.ddb.send(command as PutItemCommand);
    },
  } as unknown as DynamoDBClient;
  const { response, lines } = await run(
    [streamRecord('MODIFY', '1001', order.orderId, { newImage: orderImage({ ...order, status: 'PAID' }) })],
    makeHandler(racing),
  );
  expect(raced).toBe(true);
  expect(response).toEqual({ batchItemFailures: [] });
  const outcome = lines.map((line) => JSON.parse(line)).find((l) => l.record);
  expect([outcome?.outcome, outcome?.attempts]).toEqual(['stale', 2]);
  expect((await getItem(`ORDER#${order.orderId}`))?.status).toEqual({ S: 'CANCELLED' });
  const aggregate = await getItem(`CUSTOMER#${order.customerId}`);
  expect([aggregate?.orderCount, aggregate?.totalSpent]).toEqual([{ N: '1' }, { N: '0' }]);
});
