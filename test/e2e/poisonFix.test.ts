/**
 * The fix loop on the default in-memory stack, through the CLI as a user runs
 * it: a handler that fails on one record → that record ends in the on-failure
 * queue → the user edits the handler while `up --watch` runs → the running
 * pipeline runs the fix → `replay --from-dlq` lands the record → `verify` ok.
 * No `down`, no restart: the table and its stream survive the whole loop.
 * docs/troubleshooting.md ("Fix a poison record without a restart") is this.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { getFreePort } from '../../src/util/net.js';
import { BIN, runCli } from '../helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHIPPED = path.join(ROOT, 'lambda', 'src', 'handler.ts');

// The user's handler: the shipped orders handler behind a check with a bug
// (it refuses any order that carries a gift note).
const BUGGY = `import { handler as ordersHandler } from ${JSON.stringify(SHIPPED)};

export const handler = async (event, context) => {
  for (const record of event.Records) {
    if (record.dynamodb.NewImage?.giftNote) throw new Error('gift notes are not supported');
  }
  return ordersHandler(event, context);
};
`;
const FIXED = BUGGY.replace(
  "if (record.dynamodb.NewImage?.giftNote) throw new Error('gift notes are not supported');",
  '// gift notes are fine: nothing to check',
);

let cwd: string;
let port: number;
let ddb: DynamoDBClient;
/** The running `up --watch`, for afterAll to kill if the test failed midway. */
let watcher: { kill(signal: NodeJS.Signals): boolean } | undefined;
let watchOutput = '';

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'e2e-poison-'));
  port = await getFreePort();
  await writeFile(path.join(cwd, 'handler.mjs'), BUGGY);
  await writeFile(
    path.join(cwd, 'ddb-ingest.json'),
    JSON.stringify({
      function: { entry: 'handler.mjs', timeout: 10 },
      event_source_mapping: { batch_size: 10, maximum_retry_attempts: 1 },
    }),
  );
  ddb = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'ddblocal', secretAccessKey: 'ddblocal' },
  });
});
afterAll(async () => {
  watcher?.kill('SIGKILL');
  ddb?.destroy();
  await runCli(['down', '--purge'], { cwd });
}, 60_000);

async function poll<T>(what: () => Promise<T | undefined>, ms: number, every = 250): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, every));
  }
}

async function giveGiftNote(orderId: string, note: string): Promise<void> {
  await ddb.send(
    new UpdateItemCommand({
      TableName: 'ddb-ingest-orders',
      Key: { orderId: { S: orderId } },
      UpdateExpression: 'SET giftNote = :n',
      ExpressionAttributeValues: { ':n': { S: note } },
    }),
  );
}

const dlqMessages = async () => {
  const r = await runCli(['dlq', '--json'], { cwd });
  return r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n');
};

test('poison → on-failure queue → edit under up --watch → the running pipeline runs the fix → replay --from-dlq → verify ok', async () => {
  const up = await runCli(['up', '--port', String(port), '--json'], { cwd });
  expect({ code: up.exitCode, stderr: up.exitCode === 0 ? '' : up.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(up.stdout)).toMatchObject({ persist: false });

  expect((await runCli(['seed', '--count', '30', '--seed', '11'], { cwd })).exitCode).toBe(0);
  const scan = await ddb.send(new ScanCommand({ TableName: 'ddb-ingest-orders', Limit: 2 }));
  const [poisoned, later] = (scan.Items ?? []).map((item) => item.orderId?.S ?? '');
  expect(poisoned).toBeTruthy();
  await giveGiftNote(poisoned as string, 'happy birthday');

  // 1. The bad batch is bisected down to the poison record, which lands in the on-failure queue.
  const queued = await poll(
    async () => ((await dlqMessages()).length > 0 ? await dlqMessages() : undefined),
    90_000,
  );
  expect(queued).toHaveLength(1);
  expect(JSON.parse(queued?.[0] ?? '{}')).toMatchObject({ DDBStreamBatchInfo: { batchSize: 1 } });
  const failures = await runCli(['logs', '--since', '1h', '--level', 'ERROR', '--filter', 'gift notes'], {
    cwd,
  });
  expect(failures.stdout).toContain('gift notes are not supported');

  // 2. up --watch on the running stack; the user saves the fix.
  const watch = execa('node', [BIN, 'up', '--port', String(port), '--watch'], {
    cwd,
    env: { NO_COLOR: '1' },
    reject: false,
  });
  watcher = watch;
  watch.stderr?.on('data', (chunk: Buffer) => {
    watchOutput += chunk.toString();
  });
  watch.stdout?.on('data', (chunk: Buffer) => {
    watchOutput += chunk.toString();
  });
  expect(
    await poll(async () => (watchOutput.includes('Watching the handler sources') ? true : undefined), 60_000),
  ).toBe(true);
  await writeFile(path.join(cwd, 'handler.mjs'), FIXED);
  const saved = Date.now();
  const line = await poll(
    async () => /\d\d:\d\d:\d\d rebuilt the handler in \d+ ms \(handler\.mjs\)/.exec(watchOutput)?.[0],
    10_000,
    50,
  );
  expect(line).toBeDefined();
  expect(Date.now() - saved).toBeLessThan(10_000);

  // 3. The running pipeline runs the fix from its next batch: a new gift note goes through.
  const runnerLog = path.join(cwd, '.ddb-ingest', 'esm', 'runner.log');
  expect(
    await poll(
      async () => ((await readFile(runnerLog, 'utf8')).includes('handler rebuilt') ? true : undefined),
      10_000,
    ),
  ).toBe(true);
  const status = async () => JSON.parse((await runCli(['status', '--json'], { cwd })).stdout);
  const before = await status();
  await giveGiftNote(later as string, 'congratulations');
  const statusAfter = await poll(
    async () => {
      const now = await status();
      return now.esm.recordsProcessed > before.esm.recordsProcessed ? now : undefined;
    },
    60_000,
    500,
  );
  expect(statusAfter).toMatchObject({
    esm: { batchesFailed: before.esm.batchesFailed },
    dlq: { messages: 1 },
  });

  // 4. Re-drive the queued record with the fixed handler, then the sink matches the source.
  const replay = await runCli(['replay', '--from-dlq', '--delete'], { cwd });
  expect({ code: replay.exitCode, out: replay.stdout }).toMatchObject({
    code: 0,
    out: expect.stringContaining('ok'),
  });
  expect(await dlqMessages()).toEqual([]);
  const verify = await poll(
    async () => {
      const r = await runCli(['verify', '--json'], { cwd });
      return r.exitCode === 0 ? JSON.parse(r.stdout) : undefined;
    },
    30_000,
    1000,
  );
  expect(verify).toMatchObject({ ok: true });

  // Ctrl-C ends the watch, not the stack.
  watch.kill('SIGINT');
  const ended = await watch;
  expect(ended.exitCode).toBe(130);
  expect(JSON.parse((await runCli(['status', '--json'], { cwd })).stdout)).toMatchObject({ running: true });
}, 300_000);
