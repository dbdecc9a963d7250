/**
 * End to end against DynamoDB Local: real writes to the source table produce
 * real stream records; those are delivered to the handler shuffled,
 * duplicated, in random batches, two batches at a time, and the sink must
 * still equal the contract's projection of the final source state.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as SdkRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import {
  customerAggregateFromImage,
  keyFromSecretText,
  orderItemFromImage,
  projectSource,
} from '../../lambda/src/domain/orders.js';
import { createHandler } from '../../lambda/src/handler.js';
import { createKeySource } from '../../lambda/src/pipeline/secretKey.js';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables, type TablesInfo } from '../../src/dynamo/tables.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';
import { captureOutput, makeKeyFile, newOrder, orderImage, scanAll } from './support.js';

let dynamo: TestDynamo;
let tables: TablesInfo;
let keyFile: { file: string; key: string };
let records: DynamoDBRecord[];

/** Small deterministic PRNG, so a failing seed can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

/** The SDK's record (Date, bytes) back in the wire shape the event source mapping delivers. */
function toWire(record: SdkRecord, streamArn: string): DynamoDBRecord {
  const { ApproximateCreationDateTime, ...rest } = record.dynamodb ?? {};
  const wire = JSON.parse(JSON.stringify({ ...record, dynamodb: rest })) as DynamoDBRecord;
  return {
    ...wire,
    dynamodb: {
      ...(ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) }
        : {}),
      ...wire.dynamodb,
    },
    eventSourceARN: streamArn,
  };
}

async function readStream(streamArn: string): Promise<DynamoDBRecord[]> {
  const out: DynamoDBRecord[] = [];
  const described = await dynamo.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  for (const shard of described.StreamDescription?.Shards ?? []) {
    const it = await dynamo.streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = it.ShardIterator;
    let empty = 0;
    // An open shard always hands out a next iterator: stop after two empty pages.
    while (iterator && empty < 2) {
      const page = await dynamo.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const got = page.Records ?? [];
      empty = got.length === 0 ? empty + 1 : 0;
      out.push(...got.map((record) => toWire(record, streamArn)));
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

/** Writes a random history of orders to the source: puts, updates, cancellations, moves, deletes. */
async function writeSourceHistory(rand: () => number): Promise<void> {
  const table = tables.source;
  const customers = ['cust-a', 'cust-b', 'cust-c', 'cust-d'];
  const live = new Map<string, ReturnType<typeof newOrder>>();
  const put = async (order: ReturnType<typeof newOrder>) => {
    live.set(order.orderId, order);
    await dynamo.ddb.send(
      new PutItemCommand({ TableName: table, Item: orderImage(order) as Record<string, AttributeValue> }),
    );
  };
  for (let i = 0; i < 10; i++) {
    const cents = 100 + Math.floor(rand() * 99_900);
    await put(
      newOrder({
        customerId: pick(rand, customers),
        customerEmail: `buyer${i}@example.com`,
        total: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
      }),
    );
  }
  const statuses = ['PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
  for (let step = 0; step < 25; step++) {
    const ids = [...live.keys()];
    const orderId = pick(rand, ids);
    const order = live.get(orderId);
    if (!order) continue;
    const roll = rand();
    const key = { orderId: { S: orderId } };
    if (roll < 0.45) {
      const status = pick(rand, statuses);
      live.set(orderId, { ...order, status });
      await dynamo.ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET #s = :s, updatedAt = :u',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':s': { S: status },
            ':u': { S: `2026-02-01T00:00:${String(step).padStart(2, '0')}Z` },
          },
        }),
      );
    } else if (roll < 0.65) {
      const customerId = pick(rand, customers);
      live.set(orderId, { ...order, customerId });
      await dynamo.ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET customerId = :c, customerEmail = :e',
          ExpressionAttributeValues: { ':c': { S: customerId }, ':e': { S: `moved${step}@example.com` } },
        }),
      );
    } else if (roll < 0.8) {
      const total = `${1 + Math.floor(rand() * 500)}.${String(Math.floor(rand() * 100)).padStart(2, '0')}`;
      live.set(orderId, { ...order, total });
      await dynamo.ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET #t = :t',
          ExpressionAttributeNames: { '#t': 'total' },
          ExpressionAttributeValues: { ':t': { N: total } },
        }),
      );
    } else if (live.size > 3) {
      live.delete(orderId);
      await dynamo.ddb.send(new DeleteItemCommand({ TableName: table, Key: key }));
      // Sometimes the same id comes back later: an INSERT after a REMOVE.
      if (rand() < 0.5) await put({ ...order, status: 'PLACED' });
    }
  }
}

beforeAll(async () => {
  dynamo = await startTestDynamo();
  tables = await ensureTables(dynamo.ddb, parseStack({}));
  keyFile = await makeKeyFile();
  await writeSourceHistory(mulberry32(42));
  records = await readStream(tables.streamArn);
});
afterAll(async () => {
  await dynamo?.stop();
});

test('the stream holds every kind of change the scenario needs', () => {
  const kinds = new Set(records.map((r) => r.eventName));
  expect(kinds).toEqual(new Set(['INSERT', 'MODIFY', 'REMOVE']));
  const first = records[0];
  expect(typeof first?.dynamodb?.ApproximateCreationDateTime).toBe('number');
  expect(first?.dynamodb?.SequenceNumber).toMatch(/^\d+$/);
  const movedCustomer = records.some(
    (r) =>
      r.eventName === 'MODIFY' && r.dynamodb?.NewImage?.customerId?.S !== r.dynamodb?.OldImage?.customerId?.S,
  );
  const cancelled = records.some((r) => r.dynamodb?.NewImage?.status?.S === 'CANCELLED');
  expect([movedCustomer, cancelled]).toEqual([true, true]);
});

test.each([1, 2, 3])('shuffled, duplicated, concurrent delivery converges (seed %i)', async (seed) => {
  const rand = mulberry32(seed);
  const sink = `sink-seed-${seed}`;
  await dynamo.ddb.send(
    new CreateTableCommand({
      TableName: sink,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  const handler = createHandler({
    ddb: dynamo.ddb,
    getKey: createKeySource(() => ({ keyFile: keyFile.file })),
    logger: new Logger({ serviceName: 'ddb-ingest-test' }),
    metrics: new Metrics({ namespace: 'DdbIngestTest' }),
    tableName: sink,
  });

  const deliveries = records.flatMap((record) =>
    Array.from({ length: 1 + Math.floor(rand() * 3) }, () => record),
  );
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j] as DynamoDBRecord, deliveries[i] as DynamoDBRecord];
  }
  const batches: DynamoDBRecord[][] = [];
  for (let at = 0; at < deliveries.length; ) {
    const size = 1 + Math.floor(rand() * 10);
    batches.push(deliveries.slice(at, at + size));
    at += size;
  }

  // As the event source mapping does: a reported failure redelivers that record and all after it.
  const deliver = async (batch: DynamoDBRecord[]) => {
    let pending = batch;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 5) throw new Error('a batch kept failing');
      const { batchItemFailures } = await handler({ Records: pending });
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      const from = pending.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
      pending = from === -1 ? [] : pending.slice(from);
    }
  };
  const capture = captureOutput();
  try {
    for (let i = 0; i < batches.length; i += 2) {
      await Promise.all(batches.slice(i, i + 2).map(deliver));
    }
  } finally {
    capture.restore();
  }
  expect(capture.lines().join('\n')).not.toMatch(/@example\.com|Ada Lovelace/);

  const expected = projectSource(await scanAll(dynamo.ddb, tables.source), keyFromSecretText(keyFile.key));
  const sinkItems = await scanAll(dynamo.ddb, sink);
  const orders = sinkItems
    .filter((item) => item.pk?.S?.startsWith('ORDER#') && item.deleted?.BOOL !== true)
    .map((item) => {
      const { lastSequenceNumber, ...rest } = item;
      expect(lastSequenceNumber?.S).toMatch(/^\d+$/);
      return orderItemFromImage(rest);
    })
    .sort((a, b) => a.pk.localeCompare(b.pk));
  const aggregates = sinkItems
    .filter((item) => item.pk?.S?.startsWith('CUSTOMER#'))
    .map(customerAggregateFromImage)
    .sort((a, b) => a.pk.localeCompare(b.pk));
  const emptyAggregates = aggregates.filter((a) => a.orderCount === 0);
  expect(emptyAggregates.every((a) => a.totalSpent === '0')).toBe(true);

  expect(expected.orders.length).toBeGreaterThan(3);
  expect(orders).toEqual(expected.orders);
  expect(aggregates.filter((a) => a.orderCount !== 0)).toEqual(expected.customers);
  for (const tombstone of sinkItems.filter((item) => item.deleted?.BOOL === true)) {
    expect(Object.keys(tombstone).sort()).toEqual(['deleted', 'lastSequenceNumber', 'pk']);
  }
});
