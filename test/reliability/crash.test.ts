/**
 * The real CLI, runner and runtime against DynamoDB Local: kill -9 of the
 * runner mid-batches while seeding (repeatedly), then DynamoDB Local stopped
 * and restarted with --persist mid-stream. Each ends with verify ok and an
 * empty on-failure queue; then the security checks run over everything those
 * runs produced.
 */
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, createStreamsClient } from '../../src/aws/clients.js';
import { parseStack } from '../../src/config/stack.js';
import { countMessages, listMessages } from '../../src/esm/onFailureQueue.js';
import { readStream } from '../../src/streams/readStream.js';
import { compareSequenceNumbers } from '../../src/streams/wire.js';
import { isProcessAlive } from '../../src/targets/local/dynamodbLocal.js';
import { localConnection } from '../../src/targets/local/stack.js';
import { type LocalState, readLocalState } from '../../src/targets/local/state.js';
import { getFreePort } from '../../src/util/net.js';
import { readLocalPiiKey } from '../../src/verify/key.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { descendants, findLeaks, listeningSockets, readTexts, sourcePii } from '../helpers/leaks.js';
import { ITERATIONS, reportFigures, waitFor, waitForConvergence } from './support.js';

const stack = parseStack({});
const PER_ITERATION = { count: 250, updates: 60, deletes: 30 };
let cwd: string;
let stateDir: string;
let port: number;
let client: DynamoDBClient;
const outputs: Record<string, string> = {};
let calls = 0;

async function cli(args: string[]): Promise<CliResult> {
  const r = await runCli(args, { cwd });
  calls++;
  outputs[`cli#${calls} ${args.join(' ')}`] = `${r.stdout}\n${r.stderr}`;
  return r;
}
const state = async () => (await readLocalState(stateDir)) as LocalState;
const runnerStatus = async () =>
  JSON.parse(await readFile(path.join(stateDir, 'esm', 'status.json'), 'utf8').catch(() => '{}')) as {
    pid?: number;
    recordsProcessed?: number;
    caughtUp?: boolean;
  };
/** Records of the stream after each shard's checkpoint (every record of a shard without one). */
async function recordsAfter(
  shards: Record<string, { sequenceNumber?: string; finished?: boolean }>,
): Promise<number> {
  const streams = await createStreamsClient(localConnection(await state()));
  let count = 0;
  try {
    for await (const page of readStream({
      client: streams,
      streamArn: (await state()).tables.streamArn,
      from: { type: 'trim-horizon' },
      follow: false,
      pollIntervalMs: 50,
    })) {
      const checkpoint = shards[page.shardId];
      if (checkpoint?.finished) continue;
      count += page.records.filter(
        (r) =>
          checkpoint?.sequenceNumber === undefined ||
          compareSequenceNumbers(r.dynamodb.SequenceNumber, checkpoint.sequenceNumber) > 0,
      ).length;
    }
  } finally {
    streams.destroy();
  }
  return count;
}
const seedArgs = (seed: number) => [
  'seed',
  '--count',
  String(PER_ITERATION.count),
  '--updates',
  String(PER_ITERATION.updates),
  '--deletes',
  String(PER_ITERATION.deletes),
  '--seed',
  String(seed),
  '--rate',
  '400',
  '--json',
];

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'reliability-crash-'));
  stateDir = path.join(cwd, '.ddb-ingest');
  port = await getFreePort();
  const up = await cli(['up', '--persist', '--port', String(port), '--json']);
  expect({ code: up.exitCode, stderr: up.stderr }).toMatchObject({ code: 0 });
  client = await createDynamoDbClient(localConnection(await state()));
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await runCli(['down', '--purge'], { cwd });
});

test(`kill -9 of the runner mid-batches, ${ITERATIONS} times while seeding: nothing lost, nothing in the DLQ`, async () => {
  let kills = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const runner = (await state()).runner?.pid as number;
    expect(isProcessAlive(runner)).toBe(true);
    const seeding = cli(seedArgs(1000 + i));
    // Kill once this runner has processed part of the iteration's records: mid-stream, often mid-batch.
    await waitFor(
      async () => {
        const s = await runnerStatus();
        return s.pid === runner && (s.recordsProcessed ?? 0) > 0 ? true : undefined;
      },
      60_000,
      () => 'the runner never processed a record',
      50,
    );
    process.kill(runner, 'SIGKILL');
    kills++;
    const seeded = await seeding;
    expect({ code: seeded.exitCode, stderr: seeded.stderr }).toMatchObject({ code: 0 });
    // `up` again restarts the runner from its checkpoints.
    const up = await cli(['up', '--persist', '--port', String(port), '--json']);
    expect({ code: up.exitCode, stderr: up.stderr }).toMatchObject({ code: 0 });
    const restarted = (await state()).runner?.pid as number;
    expect(restarted).not.toBe(runner);
    expect(isProcessAlive(restarted)).toBe(true);
  }
  const secretKey = await readLocalPiiKey((await state()).piiKeyFile);
  const report = await waitForConvergence({ client, stack, secretKey });
  expect(await countMessages(path.join(stateDir, 'dlq'))).toBe(0);
  const records = ITERATIONS * (PER_ITERATION.count + PER_ITERATION.updates + PER_ITERATION.deletes);
  expect(report.orders.source).toBe(ITERATIONS * (PER_ITERATION.count - PER_ITERATION.deletes));
  reportFigures('kill-runner', {
    iterations: ITERATIONS,
    kills,
    records,
    orders: report.orders.source,
    lost: 0,
  });
}, 600_000);

test('DynamoDB Local stopped and restarted with --persist mid-stream: stream, shards and checkpoints survive', async () => {
  const before = await state();
  const seeded = await cli(seedArgs(5000));
  expect(seeded.exitCode).toBe(0);
  // Mid-stream: the runner is still working through the records just written.
  const down = await cli(['down']);
  expect(down.exitCode).toBe(0);
  const checkpoints = JSON.parse(await readFile(path.join(stateDir, 'esm', 'checkpoints.json'), 'utf8'));
  const up = await cli(['up', '--persist', '--port', String(port), '--json']);
  expect({ code: up.exitCode, stderr: up.stderr }).toMatchObject({ code: 0 });
  expect(JSON.parse(up.stdout)).toMatchObject({ persist: true, streamArn: before.tables.streamArn });
  client.destroy();
  client = await createDynamoDbClient(localConnection(await state()));
  const secretKey = await readLocalPiiKey((await state()).piiKeyFile);
  const report = await waitForConvergence({ client, stack, secretKey });
  expect(await countMessages(path.join(stateDir, 'dlq'))).toBe(0);
  // The restarted runner resumed the shards it had checkpoints for, not the stream's beginning.
  const after = JSON.parse(await readFile(path.join(stateDir, 'esm', 'checkpoints.json'), 'utf8'));
  expect(after.streamArn).toBe(checkpoints.streamArn);
  for (const shardId of Object.keys(checkpoints.shards)) expect(after.shards[shardId]).toBeDefined();
  // The sink may verify before the restarted runner has gone through what it had left: wait until it has.
  const status = await waitFor(
    async () => {
      const s = await runnerStatus();
      return s.caughtUp ? s : undefined;
    },
    90_000,
    () => 'the restarted runner never caught up',
  );
  // What the stream holds after the checkpoints taken at the stop is what the restarted runner had
  // left to do: it processed that (plus at most the batch a stop may cut short), not the stream again.
  const remaining = await recordsAfter(checkpoints.shards);
  expect(status.recordsProcessed ?? 0).toBeGreaterThanOrEqual(remaining);
  expect(status.recordsProcessed ?? 0).toBeLessThanOrEqual(remaining + 100);
  const perIteration = PER_ITERATION.count + PER_ITERATION.updates + PER_ITERATION.deletes;
  const total = (ITERATIONS + 1) * perIteration;
  // At most the last seed's records plus the batch in flight at the stop.
  expect(status.recordsProcessed ?? 0).toBeLessThanOrEqual(perIteration + 100);
  reportFigures('persist-restart', {
    records: total,
    reprocessedAfterRestart: status.recordsProcessed,
    orders: report.orders.source,
    lost: 0,
  });
}, 300_000);

test('verify --repair through the CLI, while the runner runs, rewrites a drifted sink and reports it', async () => {
  const sink = stack.sink_table.name;
  const { ScanCommand, UpdateItemCommand } = await import('@aws-sdk/client-dynamodb');
  const items = (await client.send(new ScanCommand({ TableName: sink, Limit: 50 }))).Items ?? [];
  const order = items.find((i) => i.pk?.S?.startsWith('ORDER#') && !i.deleted);
  await client.send(
    new UpdateItemCommand({
      TableName: sink,
      Key: { pk: { S: order?.pk?.S ?? '' } },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'DRIFTED' } },
    }),
  );
  expect((await cli(['verify'])).exitCode).toBe(1);
  const r = await cli(['verify', '--repair', '--json']);
  expect({ code: r.exitCode, stderr: r.stderr }).toMatchObject({ code: 0 });
  const report = JSON.parse(r.stdout);
  expect(report).toMatchObject({
    ok: true,
    mismatched: { count: 0 },
    repair: {
      ordersWritten: 1,
      before: { ok: false, mismatched: 1 },
      examples: [{ pk: order?.pk?.S, action: 'put' }],
    },
  });
}, 60_000);

describe('security', () => {
  test('no secret or PII in any log line, CLI output or on-failure message of the runs above', async () => {
    const key = (await readFile((await state()).piiKeyFile, 'utf8')).trim();
    const pii = await sourcePii(client, stack.source_table.name);
    expect(pii.length).toBeGreaterThan(100);
    const texts = {
      ...(await readTexts([
        path.join(stateDir, 'logs'),
        path.join(stateDir, 'esm', 'runner.log'),
        path.join(stateDir, 'dynamodb.log'),
        path.join(stateDir, 'dlq'),
        path.join(stateDir, 'local.json'),
      ])),
      ...outputs,
    };
    // The function did log (START/END/REPORT lines at least), so the check looks at real output.
    expect(Object.keys(texts).some((f) => f.includes(`${path.sep}logs${path.sep}`))).toBe(true);
    const leaks = findLeaks(texts, [
      { label: 'the PII key', value: key },
      ...pii.map((value) => ({ label: 'customer PII', value })),
    ]);
    expect(leaks).toEqual([]);
    expect(await listMessages(path.join(stateDir, 'dlq'))).toEqual([]);
  });

  test('the runner and its workers listen on nothing but 127.0.0.1', async () => {
    const runner = (await state()).runner?.pid as number;
    expect(isProcessAlive(runner)).toBe(true);
    const pids = [runner, ...(await descendants(runner))];
    const sockets = (await Promise.all(pids.map(listeningSockets))).flat();
    for (const s of sockets) expect(s.address).toMatch(/^(127\.0\.0\.1|::ffff:127\.0\.0\.1|::1)$/);
  });

  test("DynamoDB Local's CORS does not allow any origin", async () => {
    const answer = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'OPTIONS',
          path: '/',
          headers: {
            Origin: 'http://evil.example',
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'content-type,x-amz-target',
          },
        },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    answer.resume();
    const allowed = answer.headers['access-control-allow-origin'];
    expect(allowed).not.toBe('*');
    expect(allowed).not.toBe('http://evil.example');
  });

  test('state files holding secrets are 0600', async () => {
    const info = await stat((await state()).piiKeyFile);
    expect(info.mode & 0o777).toBe(0o600);
  });
});
