/**
 * examples/single-table end to end on the local target, as a user runs it:
 * `up` (one table with pk/sk, a GSI, TTL and a stream), `seed --table
 * --template` with the example's template, `status`, user deletes and one
 * order left to expire. DynamoDB Local deletes the expired order itself; its
 * REMOVE must arrive marked as a TTL delete and be dropped by the mapping's
 * filter, so the stats count the user's deletes only. The orders seed, verify
 * and demo refuse (the stack has no built-in pipeline). Then `down --purge`,
 * and the same file planned offline for AWS with the real Terraform provider.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, LOCAL_CREDENTIALS } from '../../src/aws/clients.js';
import type { RunnerStatus } from '../../src/targets/local/mappings.js';
import type { StatusReport } from '../../src/targets/types.js';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';
import { grants, implied, planned, planStackFileOffline } from '../helpers/offlinePlan.js';

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/single-table');
const TABLE = 'shop';
let cwd: string;
let ddb: DynamoDBClient | undefined;

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'single-table-'));
  await cp(example, cwd, { recursive: true });
});

afterAll(async () => {
  ddb?.destroy();
  await runCli(['down', '--purge'], { cwd });
  await rm(cwd, { recursive: true, force: true });
});

async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Stats {
  placed: number;
  cancelled: number;
  revenue: number;
}

/** Every customer's STATS item, summed. */
async function totals(): Promise<Stats> {
  const client = ddb as DynamoDBClient;
  const out = await client.send(
    new ScanCommand({
      TableName: TABLE,
      ConsistentRead: true,
      FilterExpression: 'sk = :s',
      ExpressionAttributeValues: { ':s': { S: 'STATS' } },
    }),
  );
  const sum = (name: string) => (out.Items ?? []).reduce((n, i) => n + Number(i[name]?.N ?? 0), 0);
  return { placed: sum('placed'), cancelled: sum('cancelled'), revenue: sum('revenue') };
}

async function orders(): Promise<{ pk: string; sk: string; total: number }[]> {
  const client = ddb as DynamoDBClient;
  const out = await client.send(
    new ScanCommand({
      TableName: TABLE,
      ConsistentRead: true,
      FilterExpression: 'begins_with(sk, :o)',
      ExpressionAttributeValues: { ':o': { S: 'ORDER#' } },
    }),
  );
  return (out.Items ?? [])
    .map((i) => ({ pk: i.pk?.S ?? '', sk: i.sk?.S ?? '', total: Number(i.total?.N) }))
    .sort((a, b) => a.sk.localeCompare(b.sk));
}

/** The mapping's live totals, as the runner writes them. */
async function mappingStatus(): Promise<RunnerStatus> {
  const file = path.join(cwd, '.ddb-ingest/functions/shop-stats/mappings/shop/esm/status.json');
  return JSON.parse(await readFile(file, 'utf8')) as RunnerStatus;
}

interface TailedRecord {
  eventName: string;
  userIdentity?: { type: string; principalId: string };
  dynamodb: { Keys: Record<string, { S?: string }>; SequenceNumber: string };
}

test('the table is created as declared, stats follow orders and user deletes, and a TTL delete is skipped', async () => {
  const port = await getFreePort();
  const up = await runCli(['up', '--port', String(port)], { cwd, timeoutMs: 180_000 });
  expect(up.stderr).not.toContain('Error');
  expect(up.exitCode).toBe(0);
  // No built-in orders pipeline: the next step offered is a template seed of the stack's own table.
  expect(up.stderr).toContain('seed --table shop --template <file.json>');
  ddb = await createDynamoDbClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: LOCAL_CREDENTIALS,
  });

  // Keys, index, stream and TTL as the stack file declares them.
  const { Table: table } = await ddb.send(new DescribeTableCommand({ TableName: TABLE }));
  expect(table?.KeySchema?.map((k) => `${k.AttributeName}:${k.KeyType}`)).toEqual(['pk:HASH', 'sk:RANGE']);
  expect(
    table?.GlobalSecondaryIndexes?.map((g) => [
      g.IndexName,
      g.KeySchema?.map((k) => `${k.AttributeName}:${k.KeyType}`),
    ]),
  ).toEqual([['by-status', ['gsi1pk:HASH', 'gsi1sk:RANGE']]]);
  expect(table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
  const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
  expect(ttl.TimeToLiveDescription).toMatchObject({
    TimeToLiveStatus: 'ENABLED',
    AttributeName: 'expiresAt',
  });

  const seed = await runCli(
    [
      'seed',
      '--table',
      TABLE,
      '--template',
      'orders.template.json',
      '--count',
      '30',
      '--seed',
      '3',
      '--json',
    ],
    { cwd },
  );
  expect({ code: seed.exitCode, stderr: seed.stderr }).toMatchObject({ code: 0 });
  expect(JSON.parse(seed.stdout).inserted).toBe(30);
  const seeded = await orders();
  expect(seeded).toHaveLength(30);
  const revenue = seeded.reduce((n, o) => n + o.total, 0);

  // Every order is counted once; the function's own STATS writes, on the same stream, are not read back.
  await waitFor('the stats of 30 orders', async () => {
    const t = await totals();
    return t.placed === 30 ? t : undefined;
  });
  expect(await totals()).toEqual({ placed: 30, cancelled: 0, revenue });

  // The GSI lists orders only (stats items have no gsi1pk).
  const placed = await ddb.send(
    new QueryCommand({
      TableName: TABLE,
      IndexName: 'by-status',
      KeyConditionExpression: 'gsi1pk = :s',
      ExpressionAttributeValues: { ':s': { S: 'STATUS#PLACED' } },
    }),
  );
  expect(placed.Count).toBe(30);

  // Two cancellations by a user, and one order that expires: DynamoDB Local deletes it itself.
  const [first, second, expiring] = seeded as [(typeof seeded)[0], (typeof seeded)[0], (typeof seeded)[0]];
  for (const order of [first, second]) {
    await ddb.send(
      new DeleteItemCommand({ TableName: TABLE, Key: { pk: { S: order.pk }, sk: { S: order.sk } } }),
    );
  }
  await ddb.send(
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { pk: { S: expiring.pk }, sk: { S: expiring.sk } },
      UpdateExpression: 'SET expiresAt = :past',
      ExpressionAttributeValues: { ':past': { N: String(Math.floor(Date.now() / 1000) - 60) } },
    }),
  );
  await waitFor(
    'DynamoDB Local to delete the expired order',
    async () => {
      const left = await ddb?.send(
        new GetItemCommand({
          TableName: TABLE,
          Key: { pk: { S: expiring.pk }, sk: { S: expiring.sk } },
          ConsistentRead: true,
        }),
      );
      return left?.Item === undefined ? true : undefined;
    },
    90_000,
  );

  // The stream holds three REMOVEs of orders: the user's two unmarked, the expiry marked as DynamoDB's own.
  const tail = await runCli(
    ['tail', '--from', 'trim-horizon', '--no-follow', '--event', 'REMOVE', '--json'],
    {
      cwd,
    },
  );
  expect(tail.exitCode).toBe(0);
  const removes = tail.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TailedRecord);
  const bySk = new Map(removes.map((r) => [r.dynamodb.Keys.sk?.S, r]));
  expect([...bySk.keys()].sort()).toEqual([first.sk, second.sk, expiring.sk].sort());
  expect(bySk.get(expiring.sk)?.userIdentity).toEqual({
    type: 'Service',
    principalId: 'dynamodb.amazonaws.com',
  });
  expect(bySk.get(first.sk)?.userIdentity).toBeUndefined();
  expect(bySk.get(second.sk)?.userIdentity).toBeUndefined();
  // The human line says which delete was DynamoDB's own.
  const human = await runCli(['tail', '--from', 'trim-horizon', '--no-follow', '--event', 'REMOVE'], { cwd });
  expect(human.exitCode).toBe(0);
  const lines = human.stdout.trim().split('\n');
  expect(lines.filter((l) => l.includes('(TTL)'))).toEqual([expect.stringContaining(expiring.sk)]);
  expect(lines).toHaveLength(3);
  const ttlSequence = BigInt(bySk.get(expiring.sk)?.dynamodb.SequenceNumber as string);

  // Once the mapping is past the TTL record, it has counted the user's deletes and skipped the expiry.
  const done = await waitFor('the mapping to pass the TTL delete', async () => {
    const status = await mappingStatus();
    const past = Object.values(status.checkpoints).some((seq) => BigInt(seq) >= ttlSequence);
    return past ? status : undefined;
  });
  expect(await totals()).toEqual({
    placed: 30,
    cancelled: 2,
    revenue: revenue - first.total - second.total,
  });
  // Delivered: 30 INSERTs and 2 user REMOVEs. Everything else was filtered: the STATS writes, the
  // MODIFY of expiresAt and the TTL delete.
  expect(done.recordsProcessed).toBe(32);
  expect(done.recordsFiltered).toBeGreaterThanOrEqual(30 + 2 + 1 + 1);
  expect(done.batchesFailed).toBe(0);

  // status shows the one mapping (human and --json).
  const shown = await runCli(['status'], { cwd });
  expect(shown.exitCode).toBe(0);
  // Its tables and its one mapping; no source/sink/function lines of a pipeline it does not have.
  expect(shown.stdout).toContain('tables     shop (stream)');
  expect(shown.stdout).toMatch(
    /mappings\n {2}shop-stats <- shop {2}Enabled(, caught up)?, last OK, .*, 32 records, 0 failed batches, dlq 0/,
  );
  expect(shown.stdout).not.toMatch(/^(source|sink|function) /m);
  const json = await runCli(['status', '--json'], { cwd });
  expect(json.exitCode).toBe(0);
  const report = JSON.parse(json.stdout) as StatusReport;
  expect(report.running).toBe(true);
  expect(report.function.name).toBe('shop-stats');
  expect(report.esm).toMatchObject({ state: 'Enabled', batchesFailed: 0, recordsProcessed: 32 });
  expect(report.dlq.messages).toBe(0);

  // replay cuts batches as the function's own mapping does (batch_size 50), not by the v1 default of 100.
  const replay = await runCli(['replay', '--from-stream', '--dry-run', '--json'], { cwd });
  expect(replay.exitCode).toBe(0);
  const planned = replay.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { batch?: number; records?: number })
    .filter((line) => line.batch !== undefined);
  expect(planned.length).toBeGreaterThan(1);
  expect(planned[0]?.records).toBe(50);

  // The stack has no built-in orders pipeline: the orders seed, verify and demo refuse, and write nothing.
  const ordersSeed = await runCli(['seed', '--count', '5'], { cwd });
  expect(ordersSeed.exitCode).toBe(2);
  expect(ordersSeed.stderr).toContain(
    'seed without --table works on the built-in orders pipeline, and this stack has none (it declares table shop).',
  );
  expect(ordersSeed.stderr).toContain('seed --table shop --template items.json');
  for (const command of ['verify', 'demo']) {
    const refused = await runCli([command], { cwd });
    expect({ command, code: refused.exitCode }).toEqual({ command, code: 2 });
    expect(refused.stderr).toContain(`${command} works on the built-in orders pipeline`);
    expect(refused.stderr).not.toContain('bug');
  }
  const { TableNames } = await ddb.send(new ListTablesCommand({}));
  expect(TableNames).toEqual([TABLE]);
}, 400_000);

test('down --purge removes every file the stack wrote', async () => {
  expect(existsSync(path.join(cwd, '.ddb-ingest', 'functions', 'shop-stats'))).toBe(true);
  const down = await runCli(['down', '--purge'], { cwd });
  expect({ code: down.exitCode, stderr: down.stderr }).toMatchObject({ code: 0 });
  expect(down.stderr).not.toContain('did not create');
  expect(existsSync(path.join(cwd, '.ddb-ingest'))).toBe(false);
}, 120_000);

test('planned offline for AWS: the table as declared, the filter, and IAM exactly as `tables` implies', async () => {
  const plan = await planStackFileOffline(path.join(example, 'ddb-ingest.json'));
  const top = [...new Set((plan.resource_changes ?? []).map((r) => r.address.replace(/\]\..*$/, ']')))];
  expect(top.sort()).toEqual([
    'aws_cloudwatch_dashboard.this',
    'module.event_source_mapping["shop-stats/shop"]',
    'module.function["shop-stats"]',
    'module.table["shop"]',
  ]);
  expect(planned(plan, 'module.table["shop"].aws_dynamodb_table.this')).toMatchObject({
    name: TABLE,
    hash_key: 'pk',
    range_key: 'sk',
    stream_enabled: true,
    stream_view_type: 'NEW_AND_OLD_IMAGES',
    ttl: [{ attribute_name: 'expiresAt', enabled: true }],
    global_secondary_index: [
      expect.objectContaining({ name: 'by-status', hash_key: 'gsi1pk', range_key: 'gsi1sk' }),
    ],
  });
  const stack = JSON.parse(await readFile(path.join(example, 'ddb-ingest.json'), 'utf8'));
  const [source] = stack.functions['shop-stats'].event_sources;
  const mapping = planned(
    plan,
    'module.event_source_mapping["shop-stats/shop"].aws_lambda_event_source_mapping.this',
  );
  expect(mapping).toMatchObject({ batch_size: 50 });
  const patterns = (mapping.filter_criteria as { filter: { pattern: string }[] }[])[0]?.filter.map(
    (f) => f.pattern,
  );
  expect(patterns?.sort()).toEqual(
    source.filter_criteria.filter.map((f: { pattern: string }) => f.pattern).sort(),
  );
  // "tables": ["shop"] is read and write on the table (and its index), the stream it maps, its own queue and logs.
  expect(grants(plan, 'shop-stats')).toEqual(
    implied('shop-stats', { shop: 'read_write' }, [TABLE], [TABLE], 'single-table-shop-stats-on-failure'),
  );
  const lambda = planned(plan, 'module.function["shop-stats"].aws_lambda_function.this');
  expect((lambda.environment as { variables: Record<string, string> }[])[0]?.variables).toMatchObject({
    TABLE_SHOP: TABLE,
  });
}, 600_000);
