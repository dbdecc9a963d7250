import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { parseTailOptions } from '../../src/commands/tailOptions.js';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { readSequenceRange } from '../../src/streams/range.js';
import { readStream } from '../../src/streams/readStream.js';
import { type RecoveryInfo, ShardReader, type TrimmedInfo } from '../../src/streams/shardReader.js';
import { describeShards, type StreamsClient } from '../../src/streams/shards.js';
import { tail } from '../../src/streams/tail.js';
import type { WireRecord } from '../../src/streams/wire.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';

let t: TestDynamo;
let streamArn: string;
let table: string;

beforeAll(async () => {
  t = await startTestDynamo();
  const info = await ensureTables(t.ddb, parseStack({}));
  streamArn = info.streamArn;
  table = info.source;
});
afterAll(async () => {
  await t.stop();
});

const FAST = { pollIntervalMs: 20 };

async function put(id: string, extra: Record<string, unknown> = {}): Promise<void> {
  await t.ddb.send(
    new PutItemCommand({
      TableName: table,
      Item: { orderId: { S: id }, status: { S: 'NEW' }, ...(extra as object) },
    }),
  );
}

async function putMany(prefix: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${i}`;
    await put(id);
    ids.push(id);
  }
  return ids;
}

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

const idOf = (r: WireRecord) => (r.dynamodb.Keys.orderId as { S: string }).S;
const mine = (prefix: string) => (r: WireRecord) => idOf(r).startsWith(`${prefix}-`);

function tailAll(raw: Parameters<typeof parseTailOptions>[0], client: StreamsClient = t.streams) {
  return collect(
    tail({ client, streamArn, region: 'us-east-1', options: parseTailOptions(raw, Date.now()), ...FAST }),
  );
}

/** Wraps the real client so that chosen calls fail once with a given AWS error. */
function faulty(fail: (name: string, input: Record<string, unknown>, call: number) => Error | undefined) {
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    send(command: { constructor: { name: string }; input: Record<string, unknown> }, options?: unknown) {
      const name = command.constructor.name;
      calls.push({ name, input: command.input });
      const error = fail(name, command.input, calls.filter((c) => c.name === name).length);
      if (error) return Promise.reject(error);
      return (t.streams.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
    },
  } as unknown as StreamsClient;
  return { client, calls };
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client' });
}

test('records come out in Lambda wire shape: base64 binaries, epoch seconds, AWS key order', async () => {
  await put('wire-1', {
    blob: { B: new Uint8Array([0, 1, 255]) },
    nested: { M: { set: { BS: [new Uint8Array([9, 8])] }, list: { L: [{ B: new Uint8Array([7]) }] } } },
  });
  await t.ddb.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { orderId: { S: 'wire-1' } },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'PAID' } },
    }),
  );
  await t.ddb.send(new DeleteItemCommand({ TableName: table, Key: { orderId: { S: 'wire-1' } } }));
  const records = (await tailAll({ follow: false })).filter(mine('wire'));
  expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
  const [insert, modify, remove] = records as [WireRecord, WireRecord, WireRecord];
  expect(Object.keys(insert)).toEqual([
    'eventID',
    'eventName',
    'eventVersion',
    'eventSource',
    'awsRegion',
    'dynamodb',
    'eventSourceARN',
  ]);
  expect(Object.keys(insert.dynamodb)).toEqual([
    'ApproximateCreationDateTime',
    'Keys',
    'NewImage',
    'SequenceNumber',
    'SizeBytes',
    'StreamViewType',
  ]);
  expect(Object.keys(modify.dynamodb)).toEqual([
    'ApproximateCreationDateTime',
    'Keys',
    'NewImage',
    'OldImage',
    'SequenceNumber',
    'SizeBytes',
    'StreamViewType',
  ]);
  expect(remove.dynamodb.NewImage).toBeUndefined();
  expect(remove.dynamodb.OldImage?.status).toEqual({ S: 'PAID' });
  expect(insert).toMatchObject({
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: streamArn,
  });
  const created = insert.dynamodb.ApproximateCreationDateTime as number;
  expect(Number.isInteger(created)).toBe(true);
  expect(Math.abs(created * 1000 - Date.now())).toBeLessThan(5 * 60_000);
  expect(Number.isInteger(insert.dynamodb.SizeBytes)).toBe(true);
  expect(insert.dynamodb.NewImage?.blob).toEqual({ B: Buffer.from([0, 1, 255]).toString('base64') });
  expect(insert.dynamodb.NewImage?.nested).toEqual({
    M: { set: { BS: ['CQg='] }, list: { L: [{ B: 'Bw==' }] } },
  });
  // The record must survive JSON (what the handler gets) unchanged.
  expect(JSON.parse(JSON.stringify(insert))).toEqual(insert);
});

test('trim-horizon without follow stops at the end; limit and event filter apply', async () => {
  const ids = await putMany('th', 4);
  await t.ddb.send(new DeleteItemCommand({ TableName: table, Key: { orderId: { S: 'th-1' } } }));
  const all = (await tailAll({ from: 'trim-horizon', follow: false })).filter(mine('th'));
  expect(all.map(idOf)).toEqual([...ids, 'th-1']);
  const removes = (await tailAll({ follow: false, event: 'REMOVE' })).filter(mine('th'));
  expect(removes.map((r) => [r.eventName, idOf(r)])).toEqual([['REMOVE', 'th-1']]);
  const limited = await tailAll({ follow: false, limit: '2' });
  expect(limited).toHaveLength(2);
});

test('latest without follow yields nothing; with follow it picks up new writes', async () => {
  await putMany('old', 2);
  expect(await tailAll({ from: 'latest', follow: false })).toEqual([]);

  const controller = new AbortController();
  let firstPoll: () => void = () => {};
  const polled = new Promise<void>((resolve) => {
    firstPoll = resolve;
  });
  const seen: WireRecord[] = [];
  const reading = (async () => {
    for await (const page of readStream({
      client: t.streams,
      streamArn,
      from: { type: 'latest' },
      follow: true,
      signal: controller.signal,
      ...FAST,
      onPage: () => firstPoll(),
    })) {
      seen.push(...page.records);
      if (seen.length >= 3) controller.abort();
    }
  })();
  await polled;
  const ids = await putMany('new', 3);
  await reading;
  expect(seen.map(idOf)).toEqual(ids);
});

test('from a sequence number starts at that record; from an ISO time skips older minutes', async () => {
  const ids = await putMany('seq', 4);
  const records = (await tailAll({ follow: false })).filter(mine('seq'));
  const third = records[2]?.dynamodb.SequenceNumber as string;
  const fromThird = await tailAll({ from: third, follow: false });
  expect(fromThird.map(idOf)).toEqual(ids.slice(2));

  const past = new Date(Date.now() - 3 * 60_000).toISOString();
  expect((await tailAll({ from: past, follow: false })).filter(mine('seq')).map(idOf)).toEqual(ids);
  const future = new Date(Date.now() + 3 * 60_000).toISOString();
  expect(await tailAll({ from: future, follow: false })).toEqual([]);
});

test.each([
  ['ExpiredIteratorException', 'Iterator expired'],
  ['ResourceNotFoundException', 'Invalid ShardId in ShardIterator'],
])('recovers from %s from the checkpoint: no loss, no repeat', async (name, message) => {
  const ids = await putMany(`rec${name.length}`, 5);
  const { client, calls } = faulty((cmd, _input, n) =>
    cmd === 'GetRecordsCommand' && n === 3 ? awsError(name, message) : undefined,
  );
  const recoveries: RecoveryInfo[] = [];
  const records: WireRecord[] = [];
  for await (const page of readStream({
    client,
    streamArn,
    from: { type: 'trim-horizon' },
    follow: false,
    pageSize: 2,
    ...FAST,
    onRecover: (info) => recoveries.push(info),
  })) {
    records.push(...page.records);
  }
  expect(records.filter(mine(`rec${name.length}`)).map(idOf)).toEqual(ids);
  expect(new Set(records.map((r) => r.eventID)).size).toBe(records.length);
  // Two pages of 2 were read before the failure: the new iterator starts after the 4th record.
  expect(recoveries).toEqual([
    expect.objectContaining({ from: `AFTER_SEQUENCE_NUMBER ${records[3]?.dynamodb.SequenceNumber}` }),
  ]);
  const iteratorTypes = calls
    .filter((c) => c.name === 'GetShardIteratorCommand')
    .map((c) => c.input.ShardIteratorType);
  expect(iteratorTypes).toEqual(['TRIM_HORIZON', 'AFTER_SEQUENCE_NUMBER']);
});

test('a TrimmedDataAccessException on a fresh iterator is reported and never jumps to LATEST', async () => {
  const before = await tailAll({ follow: false });
  const ids = await putMany('trim', 3);
  const { client, calls } = faulty((cmd, _input, n) =>
    cmd === 'GetRecordsCommand' && n === 1 ? awsError('TrimmedDataAccessException', 'trimmed') : undefined,
  );
  const trimmed: TrimmedInfo[] = [];
  const records = await collect(
    tail({
      client,
      streamArn,
      region: 'us-east-1',
      options: parseTailOptions({ follow: false }, Date.now()),
      ...FAST,
      onTrimmed: (info) => trimmed.push(info),
    }),
  );
  expect(records.length).toBe(before.length + 3);
  expect(records.filter(mine('trim')).map(idOf)).toEqual(ids);
  expect(trimmed).toHaveLength(1);
  const types = calls
    .filter((c) => c.name === 'GetShardIteratorCommand')
    .map((c) => c.input.ShardIteratorType);
  expect(types).toEqual(['TRIM_HORIZON', 'TRIM_HORIZON']);
});

test('a LATEST iterator that fails before the first record recovers without losing the writes', async () => {
  const controller = new AbortController();
  let failNext = false;
  const { client, calls } = faulty((cmd) => {
    if (cmd === 'GetRecordsCommand' && failNext) {
      failNext = false;
      return awsError('TrimmedDataAccessException', 'trimmed');
    }
    return undefined;
  });
  let firstPoll: () => void = () => {};
  const polled = new Promise<void>((resolve) => {
    firstPoll = resolve;
  });
  const seen: WireRecord[] = [];
  const reading = (async () => {
    for await (const page of readStream({
      client,
      streamArn,
      from: { type: 'latest' },
      follow: true,
      signal: controller.signal,
      ...FAST,
      onPage: () => firstPoll(),
    })) {
      seen.push(...page.records.filter(mine('lt')));
      if (seen.length >= 2) controller.abort();
    }
  })();
  await polled;
  failNext = true;
  const ids = await putMany('lt', 2);
  await reading;
  expect(seen.map(idOf)).toEqual(ids);
  const types = calls
    .filter((c) => c.name === 'GetShardIteratorCommand')
    .map((c) => c.input.ShardIteratorType);
  expect(types).toEqual(['LATEST', 'TRIM_HORIZON']);
});

test('a shard reader recreated from a checkpoint continues after it, and seek() rewinds', async () => {
  const ids = await putMany('ck', 3);
  const records = (await tailAll({ follow: false })).filter(mine('ck'));
  const first = records[0] as WireRecord;
  const { shards } = await describeShards(t.streams, streamArn);
  expect(shards).toHaveLength(1);
  const reader = new ShardReader({
    client: t.streams,
    streamArn,
    shardId: shards[0]?.shardId as string,
    region: 'us-east-1',
    start: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: first.dynamodb.SequenceNumber },
  });
  const page = await reader.next();
  expect(page.records.map(idOf)).toEqual(ids.slice(1));
  expect(reader.checkpoint).toBe(records[2]?.dynamodb.SequenceNumber);
  reader.seek(first.dynamodb.SequenceNumber);
  const again = await reader.next();
  expect(again.records.map(idOf)).toEqual(ids.slice(1));
});

test('readSequenceRange returns a DLQ batch range back from the stream, both ends included', async () => {
  const ids = await putMany('rng', 5);
  const records = (await tailAll({ follow: false })).filter(mine('rng'));
  const { shards } = await describeShards(t.streams, streamArn);
  const batch = await readSequenceRange({
    client: t.streams,
    streamArn,
    shardId: shards[0]?.shardId as string,
    start: records[1]?.dynamodb.SequenceNumber as string,
    end: records[3]?.dynamodb.SequenceNumber as string,
    region: 'us-east-1',
  });
  expect(batch.map(idOf)).toEqual(ids.slice(1, 4));
  expect(batch).toEqual(records.slice(1, 4));
});
