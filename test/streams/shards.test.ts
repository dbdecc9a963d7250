import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { readStream, type StreamPage } from '../../src/streams/readStream.js';
import { ShardReader } from '../../src/streams/shardReader.js';
import {
  describeShards,
  type ShardInfo,
  ShardLineage,
  type StreamsClient,
} from '../../src/streams/shards.js';
import type { Clock } from '../../src/util/time.js';

const ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2026-01-01T00:00:00.000';

interface FakeShard {
  id: string;
  parent?: string;
  closed: boolean;
  records: _Record[];
}

/** A clock whose sleep moves time forward at once. */
function fakeClock(start = Date.UTC(2026, 0, 1)): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

let seq = 100_000_000_000_000_000_000n;
function record(id: string, createdSeconds = Date.UTC(2026, 0, 1) / 1000): _Record {
  seq += 1n;
  return {
    eventID: `e-${id}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: new Date(createdSeconds * 1000),
      Keys: { pk: { S: id } },
      SequenceNumber: String(seq),
      SizeBytes: 10,
      StreamViewType: 'KEYS_ONLY',
    },
  };
}

/**
 * A DynamoDB Streams stand-in for shard layouts DynamoDB Local cannot make
 * (splits, closed shards, trimmed parents). `pageLimit` pages DescribeStream.
 */
function fakeStreams(shards: FakeShard[], pageLimit = 2) {
  const requests: { name: string; input: Record<string, unknown> }[] = [];
  const hooks: { beforeGetRecords?: (shardId: string) => void; failGetRecords?: () => Error | undefined } =
    {};
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      const input = command.input;
      requests.push({ name, input });
      if (name === 'DescribeStreamCommand') {
        const start = input.ExclusiveStartShardId
          ? shards.findIndex((s) => s.id === input.ExclusiveStartShardId) + 1
          : 0;
        const page = shards.slice(start, start + pageLimit);
        const more = start + pageLimit < shards.length;
        return {
          StreamDescription: {
            StreamStatus: 'ENABLED',
            Shards: page.map((s) => ({
              ShardId: s.id,
              ParentShardId: s.parent,
              SequenceNumberRange: {
                StartingSequenceNumber: s.records[0]?.dynamodb?.SequenceNumber ?? '1'.padEnd(21, '0'),
                EndingSequenceNumber: s.closed
                  ? (s.records.at(-1)?.dynamodb?.SequenceNumber ?? '9'.repeat(21))
                  : undefined,
              },
            })),
            LastEvaluatedShardId: more ? page.at(-1)?.id : undefined,
          },
        };
      }
      if (name === 'GetShardIteratorCommand') {
        const shard = shards.find((s) => s.id === input.ShardId);
        if (!shard) throw Object.assign(new Error('no shard'), { name: 'ResourceNotFoundException' });
        let index = 0;
        if (input.ShardIteratorType === 'LATEST') index = shard.records.length;
        if (input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER') {
          index = shard.records.findIndex((r) => r.dynamodb?.SequenceNumber === input.SequenceNumber) + 1;
        }
        return { ShardIterator: `${shard.id}|${index}` };
      }
      if (name === 'GetRecordsCommand') {
        const failure = hooks.failGetRecords?.();
        if (failure) throw failure;
        const [id, at] = String(input.ShardIterator).split('|');
        hooks.beforeGetRecords?.(String(id));
        const shard = shards.find((s) => s.id === id) as FakeShard;
        const index = Number(at);
        const limit = Number(input.Limit ?? 1000);
        const records = shard.records.slice(index, index + limit);
        const next = index + records.length;
        const atEnd = next >= shard.records.length;
        return {
          Records: records,
          NextShardIterator: shard.closed && atEnd ? undefined : `${shard.id}|${next}`,
        };
      }
      throw new Error(`unexpected ${name}`);
    },
  } as unknown as StreamsClient;
  return { client, requests, hooks };
}

async function collect(iter: AsyncIterable<StreamPage>): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of iter) {
    for (const r of page.records) ids.push((r.dynamodb.Keys.pk as { S: string }).S);
  }
  return ids;
}

test('DescribeStream is paged with ExclusiveStartShardId until LastEvaluatedShardId is absent', async () => {
  const shards = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, closed: true, records: [] }));
  const { client, requests } = fakeStreams(shards, 2);
  const result = await describeShards(client, ARN);
  expect(result.shards.map((s) => s.shardId)).toEqual(['a', 'b', 'c', 'd', 'e']);
  expect(requests.map((r) => r.input.ExclusiveStartShardId)).toEqual([undefined, 'b', 'd']);
});

test('lineage hands out parents before children and treats children of unlisted parents as roots', () => {
  const lineage = new ShardLineage();
  const shards: ShardInfo[] = [
    { shardId: 'child', parentShardId: 'parent' },
    { shardId: 'grandchild', parentShardId: 'child' },
    { shardId: 'parent', endingSequenceNumber: '5' },
    { shardId: 'orphan', parentShardId: 'trimmed-long-ago' },
  ];
  lineage.update(shards);
  expect(lineage.takeReady().map((s) => s.shardId)).toEqual(['parent', 'orphan']);
  expect(lineage.takeReady()).toEqual([]);
  lineage.finish('parent');
  expect(lineage.takeReady().map((s) => s.shardId)).toEqual(['child']);
  lineage.finish('child');
  expect(lineage.takeReady().map((s) => s.shardId)).toEqual(['grandchild']);
  expect(lineage.allFinished()).toBe(false);
});

test('readStream drains a closed parent before its children, over paged DescribeStream, orphans included', async () => {
  const shards: FakeShard[] = [
    { id: 'child-1', parent: 'root', closed: false, records: [] },
    { id: 'root', closed: true, records: [] },
    { id: 'child-2', parent: 'root', closed: false, records: [] },
    { id: 'orphan', parent: 'gone', closed: true, records: [] },
  ];
  // Sequence numbers grow in lineage order, as in a real stream.
  for (const id of ['r1', 'r2', 'r3']) shards[1]?.records.push(record(id));
  shards[3]?.records.push(record('o1'));
  shards[0]?.records.push(record('c1'));
  shards[2]?.records.push(record('c2'));
  const { client, requests } = fakeStreams(shards, 1);
  const clock = fakeClock();
  const ids = await collect(
    readStream({ client, streamArn: ARN, from: { type: 'trim-horizon' }, follow: false, pageSize: 2, clock }),
  );
  expect([...ids].sort()).toEqual(['c1', 'c2', 'o1', 'r1', 'r2', 'r3']);
  expect(ids.indexOf('r3')).toBeLessThan(ids.indexOf('c1'));
  expect(ids.indexOf('r3')).toBeLessThan(ids.indexOf('c2'));
  const iteratorShards = requests
    .filter((r) => r.name === 'GetShardIteratorCommand')
    .map((r) => r.input.ShardId);
  // Closed shards are read once to their end and never polled again.
  expect(iteratorShards.filter((s) => s === 'root')).toHaveLength(1);
  const rootReads = requests.filter(
    (r) => r.name === 'GetRecordsCommand' && String(r.input.ShardIterator).startsWith('root|'),
  );
  expect(rootReads).toHaveLength(2);
});

test('following, a shard that closes is drained, then its new child is discovered and read from its start', async () => {
  const shards: FakeShard[] = [{ id: 'old', closed: false, records: [record('a')] }];
  const { client, hooks } = fakeStreams(shards, 100);
  const clock = fakeClock();
  const controller = new AbortController();
  let reads = 0;
  hooks.beforeGetRecords = (id) => {
    reads += 1;
    if (reads === 2 && id === 'old') {
      // The shard rolls over: one last record, closed, and a child appears with data.
      (shards[0] as FakeShard).records.push(record('b'));
      (shards[0] as FakeShard).closed = true;
      shards.push({ id: 'new', parent: 'old', closed: false, records: [record('c'), record('d')] });
    }
  };
  const ids: string[] = [];
  for await (const page of readStream({
    client,
    streamArn: ARN,
    from: { type: 'latest' },
    follow: true,
    signal: controller.signal,
    clock,
  })) {
    for (const r of page.records) ids.push((r.dynamodb.Keys.pk as { S: string }).S);
    if (ids.length >= 3) controller.abort();
  }
  // LATEST skips 'a'; 'b' is read before the child, whose records come from its start.
  expect(ids).toEqual(['b', 'c', 'd']);
  // Idle polls wait the poll interval, 4 a second by default.
  expect(clock.slept).toContain(250);
});

test('an ISO start skips records from earlier minutes and keeps the rest', async () => {
  const t0 = Date.UTC(2026, 0, 1, 10, 0, 0) / 1000;
  const shards: FakeShard[] = [
    {
      id: 's',
      closed: false,
      records: [record('old', t0), record('edge', t0 + 120), record('new', t0 + 300)],
    },
  ];
  const { client } = fakeStreams(shards);
  const ids = await collect(
    readStream({
      client,
      streamArn: ARN,
      from: { type: 'time', time: (t0 + 150) * 1000 },
      follow: false,
      clock: fakeClock(),
    }),
  );
  // Same minute as the start time counts (DynamoDB Local rounds to the minute).
  expect(ids).toEqual(['edge', 'new']);
});

test('throttling backs off exponentially with jitter and keeps the iterator', async () => {
  const shards: FakeShard[] = [{ id: 's', closed: true, records: [record('x')] }];
  const { client, hooks, requests } = fakeStreams(shards);
  let failures = 3;
  hooks.failGetRecords = () =>
    failures-- > 0 ? Object.assign(new Error('slow down'), { name: 'LimitExceededException' }) : undefined;
  const clock = fakeClock();
  const reader = new ShardReader({
    client,
    streamArn: ARN,
    shardId: 's',
    region: 'us-east-1',
    start: { type: 'TRIM_HORIZON' },
    clock,
    random: () => 0.5,
    throttle: { baseMs: 100, maxMs: 300 },
  });
  const page = await reader.next();
  expect(page.records).toHaveLength(1);
  expect(page.ended).toBe(true);
  expect(clock.slept).toEqual([75, 150, 225]);
  expect(requests.filter((r) => r.name === 'GetShardIteratorCommand')).toHaveLength(1);
});

test('an open shard whose GetRecords gives no NextShardIterator is resumed from the checkpoint', async () => {
  const shards: FakeShard[] = [{ id: 's', closed: false, records: [record('x'), record('y')] }];
  const { client, requests } = fakeStreams(shards);
  let dropped = false;
  const wrapped = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const out = (await client.send(command as never)) as { NextShardIterator?: string };
      if (command.constructor.name === 'GetRecordsCommand' && !dropped) {
        dropped = true;
        return { ...out, NextShardIterator: undefined };
      }
      return out;
    },
  } as unknown as StreamsClient;
  const reasons: string[] = [];
  const reader = new ShardReader({
    client: wrapped,
    streamArn: ARN,
    shardId: 's',
    region: 'us-east-1',
    start: { type: 'TRIM_HORIZON' },
    pageSize: 1,
    clock: fakeClock(),
    onRecover: (info) => reasons.push(`${info.reason} ${info.from}`),
  });
  const first = await reader.next();
  expect(first.ended).toBe(false);
  const second = await reader.next();
  expect([...first.records, ...second.records].map((r) => r.eventID)).toEqual(['e-x', 'e-y']);
  expect(reasons).toEqual([`missing-next-iterator AFTER_SEQUENCE_NUMBER ${first.position}`]);
  const types = requests
    .filter((r) => r.name === 'GetShardIteratorCommand')
    .map((r) => r.input.ShardIteratorType);
  expect(types).toEqual(['TRIM_HORIZON', 'AFTER_SEQUENCE_NUMBER']);
});

test('an abort ends readStream quietly, even while it waits', async () => {
  const shards: FakeShard[] = [{ id: 's', closed: false, records: [] }];
  const { client } = fakeStreams(shards);
  const controller = new AbortController();
  const clock: Clock = {
    now: () => 0,
    sleep: () => {
      controller.abort();
      return new Promise(() => {});
    },
  };
  const ids = await collect(
    readStream({
      client,
      streamArn: ARN,
      from: { type: 'trim-horizon' },
      follow: true,
      signal: controller.signal,
      clock,
    }),
  );
  expect(ids).toEqual([]);
});
