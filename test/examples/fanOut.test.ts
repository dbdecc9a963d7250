/**
 * examples/fan-out end to end on the local target, as a user runs it: `up`,
 * `seed --table --template`, changes, then the commands that need
 * --function / --table. The audit function is held down for a while (a
 * wrapper that throws until a file exists) to show it holds back only itself.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, LOCAL_CREDENTIALS } from '../../src/aws/clients.js';
import type { StatusReport } from '../../src/targets/types.js';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/fan-out');
let cwd: string;
let ddb: DynamoDBClient | undefined;

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'fan-out-'));
  await cp(example, cwd, { recursive: true });
  // The example as shipped, with audit held down until AUDIT_GATE exists and retried until then.
  const stack = JSON.parse(await readFile(path.join(cwd, 'ddb-ingest.json'), 'utf8'));
  const audit = stack.functions['fanout-audit'];
  audit.entry = 'handlers/gated-audit.mjs';
  audit.environment = { AUDIT_GATE: path.join(cwd, 'audit-up') };
  for (const source of audit.event_sources) {
    source.maximum_retry_attempts = -1;
    source.maximum_record_age_in_seconds = -1;
  }
  await writeFile(path.join(cwd, 'ddb-ingest.json'), JSON.stringify(stack, null, 2));
  await writeFile(
    path.join(cwd, 'handlers', 'gated-audit.mjs'),
    `import { existsSync } from 'node:fs';
import { handler as audit } from './audit.mjs';
export const handler = async (event) => {
  if (!existsSync(process.env.AUDIT_GATE)) throw new Error('audit is down');
  return audit(event);
};
`,
  );
});

afterAll(async () => {
  ddb?.destroy();
  await runCli(['down', '--purge'], { cwd });
  await rm(cwd, { recursive: true, force: true });
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function appKeys(prefix: string): Promise<string[]> {
  const client = ddb as DynamoDBClient;
  const out = await client.send(new ScanCommand({ TableName: 'fanout-app', ConsistentRead: true }));
  return (out.Items ?? []).map((i) => i.pk?.S ?? '').filter((pk) => pk.startsWith(prefix));
}

async function status(): Promise<StatusReport> {
  const out = await runCli(['status', '--json'], { cwd });
  expect(out.exitCode).toBe(0);
  return JSON.parse(out.stdout) as StatusReport;
}

test('orders fan out to ingest and audit, each at its own pace; audit also reads customers', async () => {
  const port = await getFreePort();
  const up = await runCli(['up', '--port', String(port)], { cwd, timeoutMs: 180_000 });
  expect(up.stderr).not.toContain('Error');
  expect(up.exitCode).toBe(0);
  ddb = await createDynamoDbClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: LOCAL_CREDENTIALS,
  });

  // The single-table store is created as declared: range key and GSI.
  const { Table: app } = await ddb.send(new DescribeTableCommand({ TableName: 'fanout-app' }));
  expect(app?.KeySchema?.map((k) => `${k.AttributeName}:${k.KeyType}`)).toEqual(['pk:HASH', 'sk:RANGE']);
  expect(app?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(['by-customer']);

  const seed = await runCli(
    [
      'seed',
      '--table',
      'fanout-orders',
      '--template',
      'orders.template.json',
      '--count',
      '30',
      '--seed',
      '5',
      '--json',
    ],
    { cwd },
  );
  expect(seed.exitCode).toBe(0);
  expect(JSON.parse(seed.stdout).inserted).toBe(30);
  for (const id of ['c1', 'c2', 'c3']) {
    await ddb.send(new PutItemCommand({ TableName: 'fanout-customers', Item: { customerId: { S: id } } }));
  }
  const orders = await ddb.send(new ScanCommand({ TableName: 'fanout-orders', ConsistentRead: true }));
  const ids = (orders.Items ?? []).map((i) => i.orderId?.S ?? '').sort();
  expect(ids).toHaveLength(30);
  // 10 orders are paid (status changes), 2 get a new total only (no status change), 1 is deleted.
  for (const id of ids.slice(0, 10)) {
    await ddb.send(
      new UpdateItemCommand({
        TableName: 'fanout-orders',
        Key: { orderId: { S: id } },
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'PAID' } },
      }),
    );
  }
  for (const id of ids.slice(10, 12)) {
    await ddb.send(
      new UpdateItemCommand({
        TableName: 'fanout-orders',
        Key: { orderId: { S: id } },
        UpdateExpression: 'SET #t = :t',
        ExpressionAttributeNames: { '#t': 'total' },
        ExpressionAttributeValues: { ':t': { N: '999' } },
      }),
    );
  }
  await ddb.send(
    new DeleteItemCommand({ TableName: 'fanout-orders', Key: { orderId: { S: ids[29] as string } } }),
  );

  // Audit is down: ingest still projects every change.
  await waitFor('ingest to project every order', async () => {
    const keys = await appKeys('ORDER#');
    if (keys.length !== 29) return false;
    const paid = await ddb?.send(
      new QueryCommand({
        TableName: 'fanout-app',
        IndexName: 'by-customer',
        KeyConditionExpression: 'gsi1pk = :c',
        ExpressionAttributeValues: { ':c': { S: 'CUSTOMER#c1' } },
      }),
    );
    return (paid?.Count ?? 0) > 0;
  });
  expect(await appKeys('AUDIT#')).toEqual([]);
  const during = await status();
  expect(during.mappings?.map((m) => [m.function, m.table])).toEqual([
    ['fanout-ingest', 'fanout-orders'],
    ['fanout-audit', 'fanout-orders'],
    ['fanout-audit', 'fanout-customers'],
  ]);
  const [ingestOrders, , auditCustomers] = during.mappings ?? [];
  expect(ingestOrders?.esm.batchesFailed).toBe(0);
  expect(ingestOrders?.esm.recordsProcessed).toBe(30 + 12 + 1);
  expect(auditCustomers?.esm.batchesFailed).toBeGreaterThan(0);
  // Each mapping keeps its own checkpoints: ingest's have moved on.
  const checkpoints = JSON.parse(
    await readFile(
      path.join(cwd, '.ddb-ingest/functions/fanout-ingest/mappings/fanout-orders/esm/checkpoints.json'),
      'utf8',
    ),
  );
  expect(Object.keys(checkpoints.shards).length).toBeGreaterThan(0);

  // Audit comes back and catches up on both streams: 10 status changes, 1 delete, 3 customers.
  await writeFile(path.join(cwd, 'audit-up'), 'up');
  await waitFor('audit to catch up', async () => (await appKeys('AUDIT#')).length === 14);
  const after = await status();
  expect(after.mappings?.map((m) => [m.function, m.table, m.dlq.messages])).toEqual([
    ['fanout-ingest', 'fanout-orders', 0],
    ['fanout-audit', 'fanout-orders', 0],
    ['fanout-audit', 'fanout-customers', 0],
  ]);

  // Commands that need one function or one stream say so, listing the choices.
  const logs = await runCli(['logs'], { cwd });
  expect(logs.exitCode).toBe(2);
  expect(logs.stderr).toContain('Pass --function with one of: fanout-ingest, fanout-audit.');
  const ingestLogs = await runCli(['logs', '--function', 'fanout-ingest', '--since', '10m', '--json'], {
    cwd,
  });
  expect(ingestLogs.exitCode).toBe(0);
  expect(ingestLogs.stdout).toContain('START RequestId');
  expect((await runCli(['dlq'], { cwd })).exitCode).toBe(2);
  const dlq = await runCli(['dlq', '--function', 'fanout-audit'], { cwd });
  expect(dlq.exitCode).toBe(0);
  expect(dlq.stderr).toContain('The on-failure queue is empty.');
  const tail = await runCli(['tail', '--no-follow'], { cwd });
  expect(tail.exitCode).toBe(2);
  expect(tail.stderr).toContain('Pass --table with one of: fanout-orders, fanout-customers.');
  const customers = await runCli(
    ['tail', '--table', 'fanout-customers', '--from', 'trim-horizon', '--no-follow', '--json'],
    { cwd },
  );
  expect(customers.exitCode).toBe(0);
  expect(customers.stdout.trim().split('\n')).toHaveLength(3);
  expect((await runCli(['replay', '--from-stream', '--dry-run'], { cwd })).exitCode).toBe(2);
  const replay = await runCli(
    [
      'replay',
      '--from-stream',
      '--function',
      'fanout-audit',
      '--table',
      'fanout-customers',
      '--dry-run',
      '--json',
    ],
    { cwd },
  );
  expect(replay.exitCode).toBe(0);
}, 400_000);

test('down --purge removes every file the two functions and three mappings wrote, and nothing is kept', async () => {
  expect(existsSync(path.join(cwd, '.ddb-ingest', 'functions'))).toBe(true);
  const down = await runCli(['down', '--purge'], { cwd });
  expect({ code: down.exitCode, stderr: down.stderr }).toMatchObject({ code: 0 });
  // Every file under functions/<fn>/ must match manifest.ts TOOL_LAYOUT, or purge would keep it and say so.
  expect(down.stderr).not.toContain('did not create');
  expect(existsSync(path.join(cwd, '.ddb-ingest'))).toBe(false);
}, 120_000);
