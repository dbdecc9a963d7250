/**
 * The handler applies records of different item keys together, in grouped
 * transactions: each key's records must still be applied strictly in batch
 * order, failures must be reported so the event source mapping's retry (from
 * the lowest failed sequence number on) converges, and shared customer
 * aggregates must stay exact.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type DynamoDBClient, GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { createHandler } from '../../lambda/src/handler.js';
import { normalizeDecimal } from '../../lambda/src/lib/decimal.js';
import { keyRounds } from '../../lambda/src/pipeline/keyScheduler.js';
import { createKeySource } from '../../lambda/src/pipeline/secretKey.js';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { interpretResponse } from '../../src/esm/response.js';
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

const label = (key: string, seq: number) => ({ key, seq });

test('records of one key go to successive rounds in batch order; other keys share each round', () => {
  const records = [label('a', 1), label('b', 2), label('a', 3), label('c', 4), label('b', 5), label('a', 6)];
  const rounds = keyRounds(records, (r) => r.key).map((round) => round.map((r) => `${r.key}${r.seq}`));
  expect(rounds).toEqual([['a1', 'b2', 'c4'], ['a3', 'b5'], ['a6']]);
  expect(keyRounds([], (r: { key: string }) => r.key)).toEqual([]);
});

async function getItem(pk: string) {
  const out = await dynamo.ddb.send(
    new GetItemCommand({ TableName: SINK, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return out.Item;
}

test('a concurrent batch with shared customers and a transient failure converges after the ESM retry', async () => {
  const customers = ['c1', 'c2', 'c3'].map((c) => `cust-conc-${c}-${Date.now()}`);
  const orders: OrderFields[] = Array.from({ length: 12 }, (_, i) =>
    newOrder({ customerId: customers[i % 3] as string, total: `${i + 1}.25` }),
  );
  // Each order: INSERT, then PAID with a new total, then SHIPPED; interleaved across orders.
  let seq = 5000;
  const batch: DynamoDBRecord[] = [];
  const finals = new Map<string, OrderFields>();
  for (const step of [0, 1, 2]) {
    for (const [i, order] of orders.entries()) {
      const version =
        step === 0
          ? order
          : step === 1
            ? { ...order, status: 'PAID', total: `${i + 2}.50` }
            : { ...order, status: i === 0 ? 'CANCELLED' : 'SHIPPED', total: `${i + 2}.50` };
      finals.set(order.orderId, version);
      batch.push(
        streamRecord(step === 0 ? 'INSERT' : 'MODIFY', String(seq++), order.orderId, {
          newImage: orderImage(version),
        }),
      );
    }
  }
  // Every write of order 5's PAID record fails during the first invocation (a
  // sink error that outlasts the SDK's retries); its transaction partners are
  // split off and applied, so it fails alone.
  const flaky = orders[5]?.orderId as string;
  let failing = true;
  const ddb = {
    send: async (command: unknown) => {
      if (
        failing &&
        command instanceof TransactWriteItemsCommand &&
        JSON.stringify(command.input).includes(flaky) &&
        JSON.stringify(command.input).includes('"PAID"')
      ) {
        throw Object.assign(new Error('simulated sink failure'), { name: 'InternalServerError' });
      }
      return dynamo.ddb.send(command as TransactWriteItemsCommand);
    },
  } as unknown as DynamoDBClient;
  const handler = createHandler({
    ddb,
    getKey: createKeySource(() => ({ keyFile: keyFile.file })),
    logger: new Logger({ serviceName: 'ddb-ingest-test' }),
    metrics: new Metrics({ namespace: 'DdbIngestTest', serviceName: 'ddb-ingest-test' }),
    tableName: SINK,
  });
  const paidOf5 = batch.find(
    (r) => r.dynamodb?.Keys?.orderId?.S === flaky && r.dynamodb?.NewImage?.status?.S === 'PAID',
  )?.dynamodb?.SequenceNumber;
  const capture = captureOutput();
  let first: Awaited<ReturnType<typeof handler>>;
  let retry: Awaited<ReturnType<typeof handler>>;
  try {
    first = await handler({ Records: batch });
    failing = false;
    // What the event source mapping retries: its own reading of the response (esm/response.ts).
    const verdict = interpretResponse(
      { ok: true, result: first },
      batch.map((r) => r.dynamodb?.SequenceNumber as string),
      true,
    );
    expect(verdict.kind).toBe('partial');
    const failedFrom = verdict.kind === 'partial' ? verdict.failedFrom : 0;
    // The retry starts at the failed record: order 5's later SHIPPED record alone would hide its loss.
    expect(batch[failedFrom]?.dynamodb?.SequenceNumber).toBe(paidOf5);
    retry = await handler({ Records: batch.slice(failedFrom) });
  } finally {
    capture.restore();
  }
  expect(first.batchItemFailures).toEqual([{ itemIdentifier: paidOf5 }]);
  expect(retry.batchItemFailures).toEqual([]);

  for (const order of orders) {
    const item = await getItem(`ORDER#${order.orderId}`);
    const final = finals.get(order.orderId) as OrderFields;
    expect([item?.status?.S, normalizeDecimal(item?.total?.N ?? '')]).toEqual([
      final.status,
      normalizeDecimal(final.total),
    ]);
  }
  for (const customer of customers) {
    const mine = orders.filter((o) => o.customerId === customer).map((o) => finals.get(o.orderId));
    const spentCents = mine
      .filter((o) => o?.status !== 'CANCELLED')
      .reduce((sum, o) => sum + Math.round(Number(o?.total) * 100), 0);
    const aggregate = await getItem(`CUSTOMER#${customer}`);
    expect(aggregate?.orderCount?.N).toBe(String(mine.length));
    expect(normalizeDecimal(aggregate?.totalSpent?.N ?? '')).toBe(
      normalizeDecimal((spentCents / 100).toFixed(2)),
    );
  }
});

test('the first read of each key comes from one BatchGetItem; a stale read is caught by the write condition', async () => {
  const orders = Array.from({ length: 3 }, () => newOrder());
  const calls: string[] = [];
  let raced = false;
  const ddb = {
    send: async (command: { constructor: { name: string } }) => {
      calls.push(command.constructor.name);
      const out = await dynamo.ddb.send(command as TransactWriteItemsCommand);
      // Right after the prefetch, another writer inserts order 0: the snapshot is now stale.
      if (command.constructor.name === 'BatchGetItemCommand' && !raced) {
        raced = true;
        await createHandler({
          ddb: dynamo.ddb,
          getKey: createKeySource(() => ({ keyFile: keyFile.file })),
          logger: new Logger({ serviceName: 'ddb-ingest-test' }),
          metrics: new Metrics({ namespace: 'DdbIngestTest', serviceName: 'ddb-ingest-test' }),
          tableName: SINK,
        })({
          Records: [
            streamRecord('MODIFY', '7100', orders[0]?.orderId as string, {
              newImage: orderImage({ ...(orders[0] as OrderFields), status: 'SHIPPED' }),
            }),
          ],
        });
      }
      return out;
    },
  } as unknown as DynamoDBClient;
  const handler = createHandler({
    ddb,
    getKey: createKeySource(() => ({ keyFile: keyFile.file })),
    logger: new Logger({ serviceName: 'ddb-ingest-test' }),
    metrics: new Metrics({ namespace: 'DdbIngestTest', serviceName: 'ddb-ingest-test' }),
    tableName: SINK,
  });
  const capture = captureOutput();
  let response: Awaited<ReturnType<typeof handler>>;
  try {
    response = await handler({
      Records: [
        ...orders.map((order, i) =>
          streamRecord('INSERT', String(7000 + i), order.orderId, { newImage: orderImage(order) }),
        ),
        streamRecord('MODIFY', '7003', orders[1]?.orderId as string, {
          newImage: orderImage({ ...(orders[1] as OrderFields), status: 'PAID' }),
        }),
      ],
    });
  } finally {
    capture.restore();
  }
  expect(response.batchItemFailures).toEqual([]);
  expect(calls.filter((c) => c === 'BatchGetItemCommand')).toHaveLength(1);
  // One live read: order 0 after its refused write. Order 1's second record
  // starts from the state its first record wrote.
  expect(calls.filter((c) => c === 'GetItemCommand')).toHaveLength(1);
  expect((await getItem(`ORDER#${orders[0]?.orderId}`))?.status?.S).toBe('SHIPPED');
  expect((await getItem(`ORDER#${orders[1]?.orderId}`))?.status?.S).toBe('PAID');
  expect((await getItem(`ORDER#${orders[2]?.orderId}`))?.status?.S).toBe('PLACED');
});
