import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createHandler } from '../../lambda/src/handler.js';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { runSeed } from '../../src/seed/index.js';
import { readStream } from '../../src/streams/readStream.js';
import { verifySink } from '../../src/verify/verify.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';

const stack = parseStack({});
const key = Buffer.from('test-key-for-verify');
let dynamo: TestDynamo;

const verify = () =>
  verifySink({
    client: dynamo.ddb,
    sourceTable: stack.source_table.name,
    sinkTable: stack.sink_table.name,
    secretKey: key,
    buckets: 3,
    segments: 2,
  });

beforeAll(async () => {
  dynamo = await startTestDynamo();
  const { streamArn } = await ensureTables(dynamo.ddb, stack);
  await runSeed({
    client: dynamo.ddb,
    tableName: stack.source_table.name,
    count: 120,
    updates: 30,
    deletes: 15,
    seed: 5,
  });
  const handler = createHandler({
    ddb: dynamo.ddb,
    getKey: async () => key,
    tableName: stack.sink_table.name,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
  });
  for await (const page of readStream({
    client: dynamo.streams,
    streamArn,
    from: { type: 'trim-horizon' },
    follow: false,
  })) {
    const result = await handler({ Records: page.records } as unknown as DynamoDBStreamEvent);
    expect(result.batchItemFailures).toEqual([]);
  }
}, 120_000);
afterAll(async () => {
  await dynamo?.stop();
});

test('a sink built by the handler from the whole stream verifies ok', async () => {
  const report = await verify();
  expect(report).toMatchObject({
    ok: true,
    orders: { source: 105, sink: 105, matched: 105 },
    missing: { count: 0 },
    extra: { count: 0 },
    mismatched: { count: 0 },
    tombstones: 15,
  });
  expect(report.customers.expected).toBeGreaterThan(0);
  expect(report.customers.matched).toBe(report.customers.expected);
});

test('missing, extra and mismatched orders and aggregates are each reported with examples', async () => {
  const sink = stack.sink_table.name;
  const before = await verify();
  const scan = await import('@aws-sdk/client-dynamodb').then(({ ScanCommand }) =>
    dynamo.ddb.send(new ScanCommand({ TableName: sink })),
  );
  const orders = (scan.Items ?? []).filter((i) => i.pk?.S?.startsWith('ORDER#') && !i.deleted);
  const customer = (scan.Items ?? []).find((i) => i.pk?.S?.startsWith('CUSTOMER#'));
  const [gone, changed] = orders;
  await dynamo.ddb.send(new DeleteItemCommand({ TableName: sink, Key: { pk: { S: gone?.pk?.S ?? '' } } }));
  await dynamo.ddb.send(
    new UpdateItemCommand({
      TableName: sink,
      Key: { pk: { S: changed?.pk?.S ?? '' } },
      UpdateExpression: 'SET #t = :t',
      ExpressionAttributeNames: { '#t': 'total' },
      ExpressionAttributeValues: { ':t': { N: '0.01' } },
    }),
  );
  await dynamo.ddb.send(
    new UpdateItemCommand({
      TableName: sink,
      Key: { pk: { S: customer?.pk?.S ?? '' } },
      UpdateExpression: 'ADD orderCount :one',
      ExpressionAttributeValues: { ':one': { N: '1' } },
    }),
  );
  await dynamo.ddb.send(
    new PutItemCommand({
      TableName: sink,
      Item: { pk: { S: 'ORDER#not-in-source' }, orderId: { S: 'not-in-source' } },
    }),
  );
  const report = await verify();
  expect(report.ok).toBe(false);
  expect(report.missing).toEqual({ count: 1, examples: [{ pk: gone?.pk?.S }] });
  expect(report.extra).toEqual({ count: 1, examples: [{ pk: 'ORDER#not-in-source' }] });
  expect(report.mismatched.count).toBe(2);
  expect(report.mismatched.examples).toEqual(
    expect.arrayContaining([
      { pk: changed?.pk?.S, field: 'total', expected: expect.any(String), actual: '0.01' },
      { pk: customer?.pk?.S, field: 'orderCount', expected: expect.any(Number), actual: expect.any(Number) },
    ]),
  );
  expect(report.orders.matched).toBe(before.orders.matched - 2);
});
