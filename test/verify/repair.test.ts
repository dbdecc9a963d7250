import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { ordersDomain } from '../../lambda/src/domain/orders.js';
import { createHandler } from '../../lambda/src/handler.js';
import { applyChange } from '../../lambda/src/pipeline/applyBatch.js';
import type { Image } from '../../lambda/src/pipeline/domain.js';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { runSeed } from '../../src/seed/index.js';
import { readStream } from '../../src/streams/reader.js';
import { repairSink } from '../../src/verify/repair.js';
import { verifySink } from '../../src/verify/verify.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';

const stack = parseStack({});
const key = Buffer.from('test-key-for-repair');
const source = stack.source_table.name;
const sink = stack.sink_table.name;
let dynamo: TestDynamo;

const options = () => ({
  client: dynamo.ddb,
  sourceTable: source,
  sinkTable: sink,
  sourceHashKey: 'orderId',
  secretKey: key,
  buckets: 3,
  segments: 2,
  sleep: async () => {},
});
const verify = () => verifySink(options());
const getSink = async (pk: string) =>
  (
    await dynamo.ddb.send(
      new GetItemCommand({ TableName: sink, Key: { pk: { S: pk } }, ConsistentRead: true }),
    )
  ).Item;
const liveOrders = async () =>
  ((await dynamo.ddb.send(new ScanCommand({ TableName: sink }))).Items ?? []).filter(
    (i) => i.pk?.S?.startsWith('ORDER#') && !i.deleted,
  );

beforeAll(async () => {
  dynamo = await startTestDynamo();
  const { streamArn } = await ensureTables(dynamo.ddb, stack);
  await runSeed({ client: dynamo.ddb, tableName: source, count: 60, updates: 15, deletes: 8, seed: 9 });
  const handler = createHandler({
    ddb: dynamo.ddb,
    getKey: async () => key,
    tableName: sink,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
  });
  for await (const page of readStream({
    client: dynamo.streams,
    streamArn,
    from: { type: 'trim-horizon' },
    follow: false,
  })) {
    await handler({ Records: page.records } as unknown as DynamoDBStreamEvent);
  }
}, 120_000);
afterAll(async () => {
  await dynamo?.stop();
});

test('every kind of drift is repaired, aggregates included, and a second repair finds nothing', async () => {
  expect((await verify()).ok).toBe(true);
  const [gone, changed, withPii, ghostOf] = await liveOrders();
  const customer = (await dynamo.ddb.send(new ScanCommand({ TableName: sink }))).Items?.find((i) =>
    i.pk?.S?.startsWith('CUSTOMER#'),
  );
  // A deleted order item whose aggregate still counts it, a wrong total, a PII
  // copy, a live order the source no longer has, a skewed aggregate.
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
      Key: { pk: { S: withPii?.pk?.S ?? '' } },
      UpdateExpression: 'SET customerEmail = :e',
      ExpressionAttributeValues: { ':e': { S: 'someone@example.com' } },
    }),
  );
  const ghost = { ...(ghostOf as Image), pk: { S: 'ORDER#not-in-source' }, orderId: { S: 'not-in-source' } };
  await dynamo.ddb.send(new PutItemCommand({ TableName: sink, Item: ghost }));
  await dynamo.ddb.send(
    new UpdateItemCommand({
      TableName: sink,
      Key: { pk: { S: customer?.pk?.S ?? '' } },
      UpdateExpression: 'ADD orderCount :n',
      ExpressionAttributeValues: { ':n': { N: '3' } },
    }),
  );
  const broken = await verify();
  expect(broken.ok).toBe(false);

  const repair = await repairSink(options());
  expect(repair.before.ok).toBe(false);
  expect(repair).toMatchObject({
    ordersWritten: 3,
    ordersTombstoned: 1,
    gaveUp: { count: 0 },
    skipped: { count: 0 },
  });
  // The ghost's customer gained an order, the deleted one's kept a stale count, the skewed one was off by 3.
  expect(repair.aggregatesWritten).toBeGreaterThanOrEqual(2);
  expect(await verify()).toMatchObject({
    ok: true,
    missing: { count: 0 },
    extra: { count: 0 },
    mismatched: { count: 0 },
  });
  // The repaired item kept the sequence number it held, so later stream changes still apply.
  expect((await getSink(changed?.pk?.S ?? ''))?.lastSequenceNumber).toEqual(changed?.lastSequenceNumber);
  expect((await getSink('ORDER#not-in-source'))?.deleted).toEqual({ BOOL: true });

  const again = await repairSink(options());
  expect(again).toMatchObject({ ordersWritten: 0, ordersTombstoned: 0, aggregatesWritten: 0 });
}, 60_000);

test('a change the pipeline applies between the repair read and its write wins; later changes still apply', async () => {
  const [order] = await liveOrders();
  const pk = order?.pk?.S ?? '';
  const orderId = order?.orderId?.S ?? '';
  const held = BigInt(order?.lastSequenceNumber?.S ?? '0');
  // The sink drifts; then the source moves on and the pipeline delivers that change
  // exactly while the repair is about to write.
  await dynamo.ddb.send(
    new UpdateItemCommand({
      TableName: sink,
      Key: { pk: { S: pk } },
      UpdateExpression: 'SET currency = :c',
      ExpressionAttributeValues: { ':c': { S: 'XXX' } },
    }),
  );
  const sourceItem = (
    await dynamo.ddb.send(new GetItemCommand({ TableName: source, Key: { orderId: { S: orderId } } }))
  ).Item as Image;
  const paid = { ...sourceItem, status: { S: 'CANCELLED' }, updatedAt: { S: new Date().toISOString() } };
  await dynamo.ddb.send(new PutItemCommand({ TableName: source, Item: paid }));
  const pipelineChange = (sequence: bigint, image: Image) =>
    applyChange(
      { ddb: dynamo.ddb, tableName: sink, domain: ordersDomain, secretKey: key, sleep: async () => {} },
      {
        eventID: `e${sequence}`,
        eventName: 'MODIFY',
        sequenceNumber: String(sequence),
        sequence,
        keys: { orderId: { S: orderId } },
        newImage: image,
      },
    );
  let raced = false;
  const racingClient = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      const input = command.input as { TransactItems?: { Put?: { Item?: Image } }[] };
      if (
        !raced &&
        command.constructor.name === 'TransactWriteItemsCommand' &&
        input.TransactItems?.[0]?.Put?.Item?.pk?.S === pk
      ) {
        raced = true;
        expect((await pipelineChange(held + 10n, paid)).outcome).toBe('applied');
      }
      return dynamo.ddb.send(command as never);
    },
  };
  const repair = await repairSink({ ...options(), client: racingClient as never });
  expect(raced).toBe(true);
  expect(repair.conflicts).toBeGreaterThanOrEqual(1);
  expect(repair.gaveUp.count).toBe(0);
  expect(await getSink(pk)).toMatchObject({
    status: { S: 'CANCELLED' },
    lastSequenceNumber: { S: String(held + 10n) },
  });
  expect((await verify()).ok).toBe(true);

  // A newer change still in the stream is applied over the repaired item, aggregates included.
  const delivered = { ...paid, status: { S: 'PAID' } };
  await dynamo.ddb.send(new PutItemCommand({ TableName: source, Item: delivered }));
  expect((await pipelineChange(held + 20n, delivered)).outcome).toBe('applied');
  expect((await verify()).ok).toBe(true);
}, 60_000);
