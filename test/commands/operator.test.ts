import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { execa } from 'execa';
import { LOCAL_CREDENTIALS } from '../../src/aws/clients.js';
import { describeShards } from '../../src/streams/shards.js';
import { getFreePort } from '../../src/util/net.js';
import { BIN, runCli } from '../helpers/cli.js';

// One local stack for the file: `tail`, `replay` and `logs` as a user runs
// them through the built CLI, against DynamoDB Local and the local runtime.
let cwd: string;
let endpoint: string;
const SEED = ['seed', '--count', '6', '--updates', '3', '--deletes', '2', '--seed', '7'];

const cli = (...args: string[]) => runCli(args, { cwd });

function lines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

interface Wire {
  eventName: string;
  eventSourceARN: string;
  dynamodb: {
    SequenceNumber: string;
    Keys: Record<string, { S: string }>;
    NewImage?: Record<string, unknown>;
  };
}

async function sinkItems(): Promise<string[]> {
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS });
  try {
    const out = await client.send(new ScanCommand({ TableName: 'ddb-ingest-ingested' }));
    return (out.Items ?? []).map((item) => JSON.stringify(item, Object.keys(item).sort())).sort();
  } finally {
    client.destroy();
  }
}

/** Invocations the local runtime has logged so far (ESM's and replay's). */
async function invocations(): Promise<number> {
  const r = await cli('logs', '--since', '1h', '--json');
  expect(r.exitCode).toBe(0);
  return (lines(r.stdout) as { message: string }[]).filter((e) => e.message.startsWith('START RequestId:'))
    .length;
}

/** Waits until the background pipeline has applied everything (verify ok). */
async function drained(): Promise<void> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const r = await cli('verify', '--json');
    if (r.exitCode === 0) return;
    if (Date.now() > deadline) throw new Error(`pipeline did not drain: ${r.stdout} ${r.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-operator-'));
  const up = await cli('up', '--port', String(await getFreePort()), '--json');
  expect({ code: up.exitCode, stderr: up.stderr }).toMatchObject({ code: 0 });
  endpoint = JSON.parse(up.stdout).endpoint;
  expect((await cli(...SEED)).exitCode).toBe(0);
}, 120_000);

afterAll(async () => {
  await cli('down', '--purge');
});

test('tail --from trim-horizon --no-follow --json: every change in Lambda wire shape', async () => {
  const r = await cli('tail', '--from', 'trim-horizon', '--no-follow', '--json');
  expect(r.exitCode).toBe(0);
  const records = lines(r.stdout) as Wire[];
  const count = (name: string) => records.filter((rec) => rec.eventName === name).length;
  expect({ INSERT: count('INSERT'), MODIFY: count('MODIFY'), REMOVE: count('REMOVE') }).toEqual({
    INSERT: 6,
    MODIFY: 3,
    REMOVE: 2,
  });
  const first = records[0] as unknown as Record<string, unknown>;
  expect(Object.keys(first)).toEqual([
    'eventID',
    'eventName',
    'eventVersion',
    'eventSource',
    'awsRegion',
    'dynamodb',
    'eventSourceARN',
  ]);
  expect(first).toMatchObject({ eventSource: 'aws:dynamodb', eventVersion: '1.1', awsRegion: 'us-east-1' });
  expect(records[0]?.eventSourceARN).toMatch(/table\/ddb-ingest-orders\/stream\//);
  expect(Object.keys(records[0]?.dynamodb ?? {})).toEqual([
    'ApproximateCreationDateTime',
    'Keys',
    'NewImage',
    'SequenceNumber',
    'SizeBytes',
    'StreamViewType',
  ]);
  const sequences = records.map((rec) => BigInt(rec.dynamodb.SequenceNumber));
  expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : 1)));

  const limited = lines(
    (await cli('tail', '--from', 'trim-horizon', '--no-follow', '--json', '--limit', '4')).stdout,
  );
  expect(limited).toEqual(records.slice(0, 4));

  const removes = lines(
    (await cli('tail', '--from', 'trim-horizon', '--no-follow', '--json', '--event', 'remove,MODIFY')).stdout,
  ) as Wire[];
  expect(removes.map((rec) => rec.eventName).sort()).toEqual([
    'MODIFY',
    'MODIFY',
    'MODIFY',
    'REMOVE',
    'REMOVE',
  ]);
});

test('tail human output: one line per change, MODIFY as old -> new', async () => {
  const r = await cli('tail', '--from', 'trim-horizon', '--no-follow', '--event', 'MODIFY');
  expect(r.exitCode).toBe(0);
  const out = r.stdout.trim().split('\n');
  expect(out).toHaveLength(3);
  for (const line of out) {
    expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\S+Z {2}MODIFY {2}orderId=\S+ {2}/);
    expect(line).toContain(' → ');
  }
  expect(r.stderr).toContain('3 records');
});

test('tail rejects bad flags with exit 2', async () => {
  const badFrom = await cli('tail', '--from', 'yesterday', '--no-follow');
  expect(badFrom.exitCode).toBe(2);
  expect(badFrom.stderr).toContain('--from "yesterday"');
  const badEvent = await cli('tail', '--event', 'UPSERT', '--no-follow');
  expect(badEvent.exitCode).toBe(2);
  expect(badEvent.stderr).toContain('UPSERT');
});

test('tail --output then replay --invoke local leaves the sink unchanged, twice; --dry-run sends nothing', async () => {
  await drained();
  const file = path.join(cwd, 'changes.ndjson');
  const tail = await cli('tail', '--from', 'trim-horizon', '--no-follow', '--output', file);
  expect(tail.exitCode).toBe(0);
  const captured = (await readFile(file, 'utf8')).trim().split('\n');
  expect(captured).toHaveLength(11);

  const before = await sinkItems();
  expect(before.length).toBeGreaterThan(0);
  const startsBefore = await invocations();

  const dry = await cli('replay', file, '--dry-run', '--batch-size', '4', '--json');
  expect(dry.exitCode).toBe(0);
  const planned = lines(dry.stdout) as {
    batch: number;
    records: number;
    dryRun: boolean;
    event: { Records: unknown[] };
  }[];
  expect(planned.map((b) => [b.batch, b.records, b.dryRun])).toEqual([
    [1, 4, true],
    [2, 4, true],
    [3, 3, true],
  ]);
  expect(planned.flatMap((b) => b.event.Records).map((rec) => JSON.stringify(rec))).toEqual(captured);
  expect(await invocations()).toBe(startsBefore);

  for (let round = 0; round < 2; round++) {
    const r = await cli('replay', file, '--batch-size', '4', '--json');
    expect({ code: r.exitCode, stderr: r.stderr }).toMatchObject({ code: 0 });
    const batches = lines(r.stdout) as {
      records: number;
      outcome: { ok: boolean; batchItemFailures: string[] };
    }[];
    expect(batches.map((b) => [b.records, b.outcome.ok, b.outcome.batchItemFailures])).toEqual([
      [4, true, []],
      [4, true, []],
      [3, true, []],
    ]);
    expect(await sinkItems()).toEqual(before);
  }
  expect(await invocations()).toBe(startsBefore + 6);
  expect((await cli('verify')).exitCode).toBe(0);
});

test('a bad replay file names the line and the problem, exits 2 and sends nothing', async () => {
  const records = (
    await cli('tail', '--from', 'trim-horizon', '--no-follow', '--json', '--limit', '3')
  ).stdout
    .trim()
    .split('\n');
  const startsBefore = await invocations();

  const notJson = path.join(cwd, 'not-json.ndjson');
  await writeFile(notJson, `${records[0]}\n${records[1]}\n{"eventID": oops\n`);
  const r1 = await cli('replay', notJson);
  expect(r1.exitCode).toBe(2);
  expect(r1.stderr).toContain('line 3: not valid JSON');

  const noSeq = JSON.parse(records[1] as string);
  delete noSeq.dynamodb.SequenceNumber;
  const missing = path.join(cwd, 'no-seq.ndjson');
  await writeFile(missing, `${records[0]}\n${JSON.stringify(noSeq)}\n${records[2]}\n`);
  const r2 = await cli('replay', missing);
  expect(r2.exitCode).toBe(2);
  expect(r2.stderr).toContain('line 2: record.dynamodb.SequenceNumber expected a string of digits');

  const none = await cli('replay');
  expect(none.exitCode).toBe(2);
  expect(await invocations()).toBe(startsBefore);
});

test('replay --from-stream --since', async () => {
  const recent = await cli('replay', '--from-stream', '--since', '1h', '--dry-run', '--json');
  expect(recent.exitCode).toBe(0);
  expect((lines(recent.stdout) as { records: number }[]).reduce((n, b) => n + b.records, 0)).toBe(11);

  const future = new Date(Date.now() + 3 * 3_600_000).toISOString();
  const later = await cli('replay', '--from-stream', '--since', future);
  expect(later.exitCode).toBe(0);
  expect(later.stdout).toBe('');
  expect(later.stderr).toContain('Nothing to replay');

  const sent = await cli('replay', '--from-stream', '--since', '1h', '--batch-size', '100', '--json');
  expect(sent.exitCode).toBe(0);
  expect(lines(sent.stdout)).toEqual([
    expect.objectContaining({ records: 11, outcome: expect.objectContaining({ ok: true }) }),
  ]);

  const bad = await cli('replay', '--from-stream', '--since', 'a while ago');
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('--since "a while ago" is not a time');
});

test('replay --from-dlq re-drives an on-failure message read back from the stream; --delete removes it', async () => {
  const records = lines(
    (await cli('tail', '--from', 'trim-horizon', '--no-follow', '--json')).stdout,
  ) as Wire[];
  const streamArn = records[0]?.eventSourceARN as string;
  const streams = new DynamoDBStreamsClient({
    region: 'us-east-1',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const { shards } = await describeShards(streams, streamArn);
  streams.destroy();
  const shardId = shards.find((s) => !s.endingSequenceNumber)?.shardId ?? (shards[0]?.shardId as string);
  const message = (start: number, end: number, batchSize: number) => ({
    requestContext: {
      requestId: `req-${start}`,
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ddb-ingest-ingest',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 6,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date(Date.now() - 60_000 + start).toISOString(),
    DDBStreamBatchInfo: {
      shardId,
      startSequenceNumber: records[start]?.dynamodb.SequenceNumber,
      endSequenceNumber: records[end]?.dynamodb.SequenceNumber,
      approximateArrivalOfFirstRecord: '2026-01-01T00:00:00Z',
      approximateArrivalOfLastRecord: '2026-01-01T00:00:00Z',
      batchSize,
      streamArn,
    },
  });
  const dir = path.join(cwd, '.ddb-ingest', 'dlq');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, '2026-01-01T00-00-00.000Z-a.json'), JSON.stringify(message(6, 8, 3)));
  await writeFile(
    path.join(dir, '2026-01-01T00-00-01.000Z-b.json'),
    JSON.stringify({
      ...message(9, 10, 2),
      DDBStreamBatchInfo: {
        ...message(9, 10, 2).DDBStreamBatchInfo,
        shardId: 'shardId-00000000000000000000-gone0000',
      },
    }),
  );

  const kept = await cli('replay', '--from-dlq', '--json');
  expect({ code: kept.exitCode, stderr: kept.stderr }).toMatchObject({ code: 0 });
  const batches = lines(kept.stdout) as { records: number; origin: string; firstSequenceNumber: string }[];
  expect(batches).toEqual([
    expect.objectContaining({
      records: 3,
      origin: '2026-01-01T00-00-00.000Z-a.json',
      firstSequenceNumber: records[6]?.dynamodb.SequenceNumber,
    }),
  ]);
  expect(kept.stderr).toMatch(/2026-01-01T00-00-01.000Z-b.json .*cannot be replayed and stays on the queue/);
  expect(kept.stderr).toContain('add --delete');
  expect((await readdir(dir)).sort()).toHaveLength(2);

  const deleted = await cli('replay', '--from-dlq', '--delete');
  expect(deleted.exitCode).toBe(0);
  expect(deleted.stderr).toContain('Deleted 1 DLQ message; 1 kept');
  expect(await readdir(dir)).toEqual(['2026-01-01T00-00-01.000Z-b.json']);
  expect(existsSync(path.join(dir, '2026-01-01T00-00-00.000Z-a.json'))).toBe(false);
});

test('a malformed record fails in the handler: batchItemFailures, exit 1, and logs --level ERROR shows why', async () => {
  const [insert] = lines(
    (
      await cli(
        'tail',
        '--from',
        'trim-horizon',
        '--no-follow',
        '--json',
        '--event',
        'INSERT',
        '--limit',
        '1',
      )
    ).stdout,
  ) as Wire[];
  const bad = structuredClone(insert) as Wire;
  bad.dynamodb.Keys = { orderId: { S: 'o-malformed' } };
  bad.dynamodb.NewImage = { orderId: { S: 'o-malformed' } };
  bad.dynamodb.SequenceNumber = '900000000000000000001';
  const file = path.join(cwd, 'malformed.json');
  await writeFile(file, JSON.stringify({ Records: [bad] }, null, 2));

  const r = await cli('replay', file);
  expect(r.exitCode).toBe(1);
  expect(r.stdout).toContain('1 failed record');
  expect(r.stdout).toContain('batchItemFailures: 900000000000000000001');
  expect(r.stderr).toContain('Some records failed in the handler');

  const errors = await cli('logs', '--since', '1h', '--level', 'ERROR', '--json');
  expect(errors.exitCode).toBe(0);
  const events = lines(errors.stdout) as { level: string; message: string; platform: boolean }[];
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ level: 'ERROR', platform: false });
  expect(JSON.parse(events[0]?.message as string)).toMatchObject({
    message: 'record malformed',
    record: { sequenceNumber: '900000000000000000001' },
  });

  const human = await cli('logs', '--since', '1h', '--level', 'ERROR');
  expect(human.stdout.trim()).toMatch(/^\S+Z {2}ERROR {2}record malformed {2}record=\{.*o-malformed/);
});

test('logs: START/END/REPORT and the handler JSON lines, one event per line with --json', async () => {
  const r = await cli('logs', '--since', '1h', '--json');
  expect(r.exitCode).toBe(0);
  const events = lines(r.stdout) as {
    timestamp: number;
    message: string;
    platform: boolean;
    level?: string;
    logStreamName: string;
  }[];
  const kinds = (prefix: string) => events.filter((e) => e.message.startsWith(prefix)).length;
  expect(kinds('START RequestId:')).toBeGreaterThan(0);
  expect(kinds('END RequestId:')).toBe(kinds('START RequestId:'));
  expect(kinds('REPORT RequestId:')).toBe(kinds('START RequestId:'));
  expect(events.filter((e) => e.platform)).toHaveLength(3 * kinds('START RequestId:'));
  const info = events.filter((e) => e.level === 'INFO').map((e) => JSON.parse(e.message).message);
  expect(info).toContain('batch done');
  expect(events.every((e) => /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/.test(e.logStreamName))).toBe(
    true,
  );
  const times = events.map((e) => e.timestamp);
  expect(times).toEqual([...times].sort((a, b) => a - b));

  const human = await cli('logs', '--since', '1h', '--filter', 'REPORT RequestId');
  expect(
    human.stdout
      .trim()
      .split('\n')
      .every((l) => /Z {2}REPORT RequestId: \S+\tDuration: /.test(l)),
  ).toBe(true);

  const bad = await cli('logs', '--since', 'soon');
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('--since "soon" is not a time');
  const badLevel = await cli('logs', '--level', 'LOUD');
  expect(badLevel.exitCode).toBe(2);
});

test('a stack that is not up is a clear error', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-operator-down-'));
  for (const args of [
    ['tail', '--no-follow'],
    ['replay', '--from-stream'],
    ['replay', '--from-dlq'],
  ]) {
    const r = await runCli(args, { cwd: dir });
    expect({ args, code: r.exitCode }).toEqual({ args, code: 1 });
    expect(r.stderr).toContain('The local stack is not running');
  }
  const logs = await runCli(['logs'], { cwd: dir });
  expect(logs.exitCode).toBe(0);
  expect(logs.stderr).toContain('No log events');
});

test('tail --target aws finds the stream with DescribeTable (DynamoDB Local standing in for AWS)', async () => {
  const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  const aws = ['--target', 'aws', '--endpoint-url', endpoint, '--region', 'us-east-1'];
  const r = await runCli([...aws, 'tail', '--from', 'trim-horizon', '--no-follow', '--json'], { cwd, env });
  expect({ code: r.exitCode, stderr: r.stderr }).toMatchObject({ code: 0 });
  expect(lines(r.stdout)).toHaveLength(11);

  const other = await mkdtemp(path.join(os.tmpdir(), 'cli-operator-aws-'));
  await writeFile(
    path.join(other, 'ddb-ingest.json'),
    JSON.stringify({ source_table: { name: 'no-such-table' } }),
  );
  const missing = await runCli([...aws, 'tail', '--no-follow'], { cwd: other, env });
  expect(missing.exitCode).toBe(1);
  expect(missing.stderr).toContain('Table no-such-table does not exist');
});

test('tail follows: new changes appear as they are written, --output grows with them, Ctrl-C exits 130', async () => {
  const file = path.join(cwd, 'live.ndjson');
  const child = execa('node', [BIN, 'tail', '--from', 'trim-horizon', '--json', '--output', file], {
    cwd,
    env: { NO_COLOR: '1' },
    reject: false,
  });
  let stdout = '';
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
  });
  const waitForLines = async (n: number) => {
    const deadline = Date.now() + 30_000;
    while (stdout.split('\n').filter((l) => l !== '').length < n) {
      if (Date.now() > deadline) throw new Error(`only got: ${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  try {
    await waitForLines(11);
    expect((await cli('seed', '--count', '2', '--seed', '8')).exitCode).toBe(0);
    await waitForLines(13);
    const written = (await readFile(file, 'utf8')).trim().split('\n');
    expect(written).toHaveLength(13);
    expect((lines(stdout) as Wire[]).slice(11).map((r) => r.eventName)).toEqual(['INSERT', 'INSERT']);
  } finally {
    child.kill('SIGINT');
  }
  const result = await child;
  expect(result.exitCode).toBe(130);
});
