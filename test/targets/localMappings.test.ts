/**
 * The local target's many mappings on a real DynamoDB Local: two functions on
 * one stream and one function on two streams, each mapping with its own
 * checkpoints, queue and totals, each function with its own runtime pool and
 * its TABLE_<NAME> variables.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { parseStackModel } from '../../src/config/stack.js';
import { ensureModelTables } from '../../src/dynamo/tables.js';
import { functionPaths, mappingPaths } from '../../src/targets/local/functions.js';
import { type RunnerStatus, runLocalMappings } from '../../src/targets/local/mappings.js';
import { primaryTables } from '../../src/targets/local/stack.js';
import type { LocalState } from '../../src/targets/local/state.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';
import { CUSTOMERS_TABLE, ORDERS_TABLE } from '../helpers/stacks.js';

let dynamo: TestDynamo;
let dir: string;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  dir = await mkdtemp(path.join(os.tmpdir(), 'local-mappings-'));
}, 60_000);
afterAll(async () => {
  await dynamo?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Records what it got into its TABLE_SEEN, so the table variable and the local endpoint are both proven. */
const recorder = (who: string, gate = false) => `
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { existsSync } from 'node:fs';
const client = new DynamoDBClient({});
export const handler = async (event) => {
  ${gate ? "if (!existsSync(process.env.GATE_FILE)) throw new Error('audit is down');" : ''}
  for (const r of event.Records) {
    const table = r.eventSourceARN.split('/')[1];
    const key = Object.values(r.dynamodb.Keys)[0].S;
    await client.send(new PutItemCommand({
      TableName: process.env.TABLE_SEEN,
      Item: { pk: { S: '${who}#' + table + '#' + key + '#' + r.eventName }, fn: { S: process.env.AWS_LAMBDA_FUNCTION_NAME } },
    }));
  }
};
`;

async function seenKeys(): Promise<string[]> {
  const out = await dynamo.ddb.send(new ScanCommand({ TableName: 'seen', ConsistentRead: true }));
  return (out.Items ?? []).map((item) => item.pk?.S ?? '').sort();
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const readStatus = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as RunnerStatus;

test('two functions on one stream and one function on two streams each get every record, at their own pace', async () => {
  const gateFile = path.join(dir, 'audit-up');
  await writeFile(path.join(dir, 'ingest.mjs'), recorder('ingest'));
  await writeFile(path.join(dir, 'audit.mjs'), recorder('audit', true));
  const { model } = parseStackModel({
    name: 'mappings-test',
    tables: {
      orders: ORDERS_TABLE,
      customers: CUSTOMERS_TABLE,
      seen: { hash_key: 'pk', attributes: { pk: 'S' } },
    },
    functions: {
      ingest: {
        entry: 'ingest.mjs',
        timeout: 10,
        tables: ['seen'],
        event_sources: [{ table: 'orders', batch_size: 10 }],
      },
      audit: {
        entry: 'audit.mjs',
        timeout: 10,
        tables: { seen: 'write' },
        environment: { GATE_FILE: gateFile },
        // Retried until it works: a down audit must not lose records, nor hold back ingest.
        event_sources: [
          { table: 'orders', maximum_retry_attempts: -1, maximum_record_age_in_seconds: -1 },
          { table: 'customers', maximum_retry_attempts: -1, maximum_record_age_in_seconds: -1 },
        ],
      },
    },
  });
  const created = await ensureModelTables(dynamo.ddb, model);
  const streams = {
    orders: created.orders?.streamArn ?? '',
    customers: created.customers?.streamArn ?? '',
  };
  const stateDir = path.join(dir, '.ddb-ingest');
  const state: LocalState = {
    version: 1,
    region: 'us-east-1',
    dynamodb: {
      pid: dynamo.pid,
      port: dynamo.port,
      endpoint: dynamo.endpoint,
      startedAt: new Date().toISOString(),
    },
    tables: primaryTables(model, streams),
    streams,
    piiKeyFile: path.join(dir, 'no-key'),
  };
  expect(state.tables).toEqual({ source: 'orders', sink: 'seen', streamArn: streams.orders });

  const orders = Array.from({ length: 12 }, (_, i) => `o${String(i).padStart(2, '0')}`);
  const customers = ['c1', 'c2', 'c3'];
  for (const id of orders) {
    await dynamo.ddb.send(new PutItemCommand({ TableName: 'orders', Item: { orderId: { S: id } } }));
  }
  for (const id of customers) {
    await dynamo.ddb.send(new PutItemCommand({ TableName: 'customers', Item: { customerId: { S: id } } }));
  }

  const controller = new AbortController();
  const notices: string[] = [];
  const running = runLocalMappings({
    model,
    stateDir,
    stackDir: dir,
    state,
    signal: controller.signal,
    pollIntervalMs: 100,
    onNotice: (text) => notices.push(text),
  });
  const stopped = running.then(
    () => 'stopped',
    (err: unknown) => `failed: ${String(err)}`,
  );
  const ingestOrders = mappingPaths(stateDir, model, 'ingest', 'orders');
  const auditOrders = mappingPaths(stateDir, model, 'audit', 'orders');
  const auditCustomers = mappingPaths(stateDir, model, 'audit', 'customers');
  try {
    const expectedIngest = orders.map((id) => `ingest#orders#${id}#INSERT`);
    // Audit fails every batch: ingest still gets every order and checkpoints past them.
    await Promise.race([
      waitFor('ingest to get every order', async () => (await seenKeys()).length === orders.length),
      stopped.then((how) => Promise.reject(new Error(`the mappings ${how}`))),
    ]);
    expect(await seenKeys()).toEqual(expectedIngest);
    await waitFor('audit to fail', async () => (await readStatus(auditOrders.statusFile)).batchesFailed > 0);
    const ingestCheckpoints = JSON.parse(
      await readFile(path.join(ingestOrders.esmDir, 'checkpoints.json'), 'utf8'),
    );
    expect(ingestCheckpoints.streamArn).toBe(streams.orders);
    expect(Object.keys(ingestCheckpoints.shards).length).toBeGreaterThan(0);
    // The failing mapping has not moved: nothing of audit's is checkpointed.
    const auditCheckpoints = await readFile(path.join(auditOrders.esmDir, 'checkpoints.json'), 'utf8').catch(
      () => undefined,
    );
    if (auditCheckpoints !== undefined) expect(JSON.parse(auditCheckpoints).shards).toEqual({});

    await writeFile(gateFile, 'up');
    const expectedAudit = [
      ...orders.map((id) => `audit#orders#${id}#INSERT`),
      ...customers.map((id) => `audit#customers#${id}#INSERT`),
    ];
    await waitFor('audit to catch up on both streams', async () => (await seenKeys()).length === 15 + 12);
    expect(await seenKeys()).toEqual([...expectedAudit, ...expectedIngest].sort());

    // Each mapping its own totals; nothing went to any on-failure queue.
    // The totals are published every 500 ms: wait for the last snapshot to show them all.
    const totals = () =>
      Promise.all(
        [ingestOrders, auditOrders, auditCustomers].map(
          async (p) => (await readStatus(p.statusFile)).recordsProcessed,
        ),
      );
    await waitFor('the totals', async () => (await totals()).join() === '12,12,3');
    const statuses = await Promise.all(
      [ingestOrders, auditOrders, auditCustomers].map((p) => readStatus(p.statusFile)),
    );
    expect(statuses.map((s) => [s.function, s.table, s.state, s.recordsProcessed])).toEqual([
      ['ingest', 'orders', 'Enabled', 12],
      ['audit', 'orders', 'Enabled', 12],
      ['audit', 'customers', 'Enabled', 3],
    ]);
    expect(statuses[0]?.batchesFailed).toBe(0);
    expect(statuses[1]?.batchesFailed).toBeGreaterThan(0);
    for (const p of [ingestOrders, auditOrders, auditCustomers]) {
      expect(await readdir(p.dlqDir).catch(() => [])).toEqual([]);
    }
    // One runtime pool per function, each with its own log streams.
    for (const fn of ['ingest', 'audit']) {
      const logs = await readdir(functionPaths(stateDir, model, fn).logDir);
      expect(logs.some((name) => name.endsWith('.ndjson'))).toBe(true);
    }
    expect(new Set([ingestOrders.esmDir, auditOrders.esmDir, auditCustomers.esmDir]).size).toBe(3);
  } finally {
    controller.abort();
    expect(await stopped).toBe('stopped');
  }
  expect(notices.filter((n) => n.includes('mapping stopped'))).toEqual([]);
}, 180_000);
