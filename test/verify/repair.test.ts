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
import { readStream } from '../../src/streams/readStream.js';
import { repairSink } from '../../src/verify/repair.js';
import { streamTip } from '../../src/verify/streamTip.js';
import { verifySink } from '../../src/verify/verify.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';

const stack = parseStack({});
const key = Buffer.from('test-key-for-repair');
const source = stack.source_table.name;
const sink = stack.sink_table.name;
let dynamo: TestDynamo;
let streamArn: string;
/** Every record of the stream, as the handler receives them. */
const streamRecords: DynamoDBStreamEvent['Records'] = [];

const options = () => ({
  client: dynamo.ddb,
  sourceTable: source,
  sinkTable: sink,
  sourceHashKey: 'orderId',
  secretKey: key,
  buckets: 3,
  segments: 2,
  sleep: async () => {},
  streamTip: () => streamTip(dynamo.streams, streamArn),
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
  ({ streamArn } = await ensureTables(dynamo.ddb, stack));
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
    streamRecords.push(...(page.records as unknown as DynamoDBStreamEvent['Records']));
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

  const tip = await streamTip(dynamo.streams, streamArn);
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
  // A repaired item is guarded by the stream's tip at the repair (at least what it held).
  expect(BigInt(changed?.lastSequenceNumber?.S ?? '')).toBeLessThanOrEqual(tip as bigint);
  expect((await getSink(changed?.pk?.S ?? ''))?.lastSequenceNumber).toEqual({ S: String(tip) });
  expect((await getSink(gone?.pk?.S ?? ''))?.lastSequenceNumber).toEqual({ S: String(tip) });
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

test('a repaired item keeps its guard: replaying the old records of its order after a repair changes nothing', async () => {
  const handler = createHandler({
    ddb: dynamo.ddb,
    getKey: async () => key,
    tableName: sink,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
  });
  const orderOf = (r: DynamoDBStreamEvent['Records'][number]) => r.dynamodb?.Keys?.orderId?.S ?? '';
  // An order that changed after its INSERT (so its old records hold older states) and one removed.
  const updated = streamRecords.find(
    (r) =>
      r.eventName === 'MODIFY' &&
      !streamRecords.some((o) => o.eventName === 'REMOVE' && orderOf(o) === orderOf(r)),
  );
  const removed = streamRecords.find((r) => r.eventName === 'REMOVE');
  const updatedPk = `ORDER#${orderOf(updated as never)}`;
  const removedPk = `ORDER#${orderOf(removed as never)}`;
  expect((await getSink(updatedPk))?.deleted).toBeUndefined();
  expect((await getSink(removedPk))?.deleted).toEqual({ BOOL: true });
  // Drift: the updated order's item is lost; the removed one is back as a live copy without a guard.
  const { lastSequenceNumber: _, deleted: __, ...live } = (await liveOrders())[0] as Image;
  await dynamo.ddb.send(new DeleteItemCommand({ TableName: sink, Key: { pk: { S: updatedPk } } }));
  await dynamo.ddb.send(
    new PutItemCommand({
      TableName: sink,
      Item: { ...live, pk: { S: removedPk }, orderId: { S: removedPk.slice('ORDER#'.length) } },
    }),
  );
  const repair = await repairSink(options());
  expect(repair).toMatchObject({ ordersWritten: 1, ordersTombstoned: 1, gaveUp: { count: 0 } });
  expect((await verify()).ok).toBe(true);
  const sinkNow = async () =>
    ((await dynamo.ddb.send(new ScanCommand({ TableName: sink, ConsistentRead: true }))).Items ?? []).sort(
      (a, b) => ((a.pk?.S ?? '') < (b.pk?.S ?? '') ? -1 : 1),
    );
  const before = await sinkNow();

  // Every old record of both orders, oldest first and newest first: each one is older than the repair.
  const old = streamRecords.filter((r) => [updatedPk, removedPk].includes(`ORDER#${orderOf(r)}`));
  expect(old.length).toBeGreaterThanOrEqual(4);
  for (const batch of [old, [...old].reverse()]) {
    const response = await handler({ Records: batch });
    expect(response.batchItemFailures).toEqual([]);
  }
  expect(await sinkNow()).toEqual(before);

  // A change made after the repair still applies.
  const sourceItem = (
    await dynamo.ddb.send(
      new GetItemCommand({ TableName: source, Key: { orderId: { S: updatedPk.slice('ORDER#'.length) } } }),
    )
  ).Item as Image;
  await dynamo.ddb.send(
    new PutItemCommand({
      TableName: source,
      Item: { ...sourceItem, status: { S: 'DELIVERED' }, updatedAt: { S: new Date().toISOString() } },
    }),
  );
  const fresh: DynamoDBStreamEvent['Records'] = [];
  for await (const page of readStream({
    client: dynamo.streams,
    streamArn,
    from: { type: 'trim-horizon' },
    follow: false,
  }))
    fresh.push(...(page.records as unknown as DynamoDBStreamEvent['Records']));
  const latest = fresh.filter((r) => `ORDER#${orderOf(r)}` === updatedPk).at(-1);
  expect(latest?.dynamodb?.NewImage?.status?.S).toBe('DELIVERED');
  expect((await handler({ Records: [latest as never] })).batchItemFailures).toEqual([]);
  expect(await getSink(updatedPk)).toMatchObject({
    status: { S: 'DELIVERED' },
    lastSequenceNumber: { S: latest?.dynamodb?.SequenceNumber },
  });
  expect((await verify()).ok).toBe(true);
}, 60_000);
