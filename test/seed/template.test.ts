/**
 * seed --template: typing, reproducibility, updates/deletes, and the errors a
 * bad template gives, against a real DynamoDB Local (one per file) and the
 * built CLI.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AttributeValue,
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, LOCAL_CREDENTIALS } from '../../src/aws/clients.js';
import { createSeedFaker } from '../../src/seed/faker.js';
import { runSeed } from '../../src/seed/index.js';
import { describeTableKeys } from '../../src/seed/tableKeys.js';
import { compileTemplate, parseTemplate, readTemplate, type TemplateSpec } from '../../src/seed/template.js';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';
import { withSeedClient } from '../helpers/dynamodb.js';
import { shownError, shownRejection } from '../helpers/errors.js';

let db: { endpoint: string; ddb: DynamoDBClient };
let dir: string;

const TEMPLATE = {
  pk: 'USER#{{string.uuid}}',
  sk: '{{number.int({"min":1,"max":1000000})}}',
  name: '{{person.firstName}} {{person.lastName}}',
  first: '{{person.firstName}}',
  age: '{{number.int({"min":18,"max":90})}}',
  score: '{{number.float({"min":0,"max":1,"fractionDigits":3})}}',
  active: '{{datatype.boolean}}',
  joined: '{{date.past}}',
  zip: '{{location.zipCode}}',
  plan: 'free',
  limits: { daily: 10, tags: ['{{word.noun}}', 'fixed'] },
  note: null,
};

async function createTable(name: string, range = true): Promise<void> {
  const input: CreateTableCommandInput = {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      ...(range ? [{ AttributeName: 'sk', AttributeType: 'N' as const }] : []),
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      ...(range ? [{ AttributeName: 'sk', KeyType: 'RANGE' as const }] : []),
    ],
  };
  await db.ddb.send(new CreateTableCommand(input));
}

async function scanAll(table: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await db.ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort((x, y) => `${x.pk?.S}${x.sk?.N}`.localeCompare(`${y.pk?.S}${y.sk?.N}`));
}

/**
 * The stack a user runs (`up`, the mapping off so nothing reads the stream) is
 * this file's one DynamoDB Local: the CLI seeds into it through the local
 * target, and the module tests use its endpoint.
 */
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-template-'));
  await writeFile(
    path.join(dir, 'ddb-ingest.json'),
    JSON.stringify({ event_source_mapping: { enabled: false } }),
  );
  const up = await runCli(['up', '--port', String(await getFreePort()), '--json'], { cwd: dir });
  if (up.exitCode !== 0) throw new Error(`up failed: ${up.stderr}`);
  const endpoint = JSON.parse(up.stdout).endpoint as string;
  const conn = { region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS };
  db = { endpoint, ddb: await createDynamoDbClient(conn) };
  await Promise.all([createTable('users-a'), createTable('users-b'), createTable('tiny', false)]);
}, 180_000);
afterAll(async () => {
  db?.ddb.destroy();
  const down = await runCli(['down', '--purge', '--yes'], { cwd: dir });
  if (down.exitCode !== 0) throw new Error(`down failed: ${down.stderr}`);
  await rm(dir, { recursive: true, force: true });
}, 60_000);

const spec = async (table: string, template: Record<string, unknown> = TEMPLATE): Promise<TemplateSpec> => ({
  template,
  keys: await describeTableKeys(db.ddb, table),
});

test('keys come from DescribeTable, with their types', async () => {
  expect(await describeTableKeys(db.ddb, 'users-a')).toEqual({
    hash: { name: 'pk', type: 'S' },
    range: { name: 'sk', type: 'N' },
  });
  expect(await describeTableKeys(db.ddb, 'tiny')).toEqual({ hash: { name: 'pk', type: 'S' } });
  expect(await shownRejection(describeTableKeys(db.ddb, 'nope'))).toMatchObject({
    exitCode: 1,
    message: 'There is no table nope.',
  });
});

test('values are typed for DynamoDB: one number-producing expression is N, text around it is S', async () => {
  const compiled = compileTemplate(await spec('users-a'), await createSeedFaker());
  const faker = await createSeedFaker();
  faker.seed(3);
  const item = { ...compiled.keys(faker), ...compiled.attributes(faker) };
  expect(item.pk?.S).toMatch(/^USER#[0-9a-f-]{36}$/);
  expect(item.sk?.N).toMatch(/^\d+$/);
  expect(item.name?.S).toMatch(/^\S+ \S+/);
  expect(item.first?.S).toBeTruthy();
  expect(Number(item.age?.N)).toBeGreaterThanOrEqual(18);
  expect(item.score?.N).toMatch(/^\d(\.\d{1,3})?$/);
  expect(typeof item.active?.BOOL).toBe('boolean');
  expect(item.joined?.S).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  // A zip code is text that looks like a number: faker's zipCode returns a string, so it stays S.
  expect(item.zip?.S).toBeTruthy();
  expect(item.plan).toEqual({ S: 'free' });
  expect(item.limits?.M?.daily).toEqual({ N: '10' });
  expect(item.limits?.M?.tags?.L?.[1]).toEqual({ S: 'fixed' });
  expect(item.limits?.M?.tags?.L?.[0]?.S).toBeTruthy();
  expect(item.note).toEqual({ NULL: true });
});

test('the same --seed fills two tables identically; updates regenerate non-key attributes; deletes remove items', async () => {
  await withSeedClient(db.endpoint, async (client) => {
    const options = { count: 600, updates: 200, deletes: 100, seed: 42, client };
    const [ra, rb] = await Promise.all([
      runSeed({ ...options, tableName: 'users-a', template: await spec('users-a') }),
      runSeed({ ...options, tableName: 'users-b', template: await spec('users-b') }),
    ]);
    expect(ra).toMatchObject({ inserted: 600, updated: 200, deleted: 100, seed: 42 });
    expect(rb).toMatchObject({ inserted: 600, updated: 200, deleted: 100 });
    const [a, b] = await Promise.all([scanAll('users-a'), scanAll('users-b')]);
    expect(a).toHaveLength(500);
    expect(a).toEqual(b);

    // Only inserts into a third table: the 200 updated items differ from it in non-key attributes only.
    await createTable('users-c');
    await runSeed({
      ...options,
      updates: 0,
      deletes: 0,
      tableName: 'users-c',
      template: await spec('users-c'),
    });
    const original = new Map((await scanAll('users-c')).map((i) => [`${i.pk?.S}/${i.sk?.N}`, i]));
    expect(original.size).toBe(600);
    let changed = 0;
    for (const item of a) {
      const before = original.get(`${item.pk?.S}/${item.sk?.N}`);
      expect(before).toBeDefined();
      if (JSON.stringify(before) !== JSON.stringify(item)) {
        changed++;
        expect(item.plan).toEqual({ S: 'free' });
      }
    }
    // Deletes and updates are picked independently: about a sixth of the updated items were deleted again.
    expect(changed).toBeGreaterThan(120);
    expect(changed).toBeLessThanOrEqual(200);
  });
}, 120_000);

test('keys that repeat are written in order without a duplicate key in one batch', async () => {
  await withSeedClient(db.endpoint, async (client) => {
    const template = { pk: '{{number.int({"min":1,"max":5})}}', n: '{{number.int}}' };
    const result = await runSeed({
      client,
      tableName: 'tiny',
      template: await spec('tiny', template),
      count: 300,
      seed: 1,
    });
    expect(result.inserted).toBe(300);
    const items = await scanAll('tiny');
    expect(items.map((i) => i.pk?.S).sort()).toEqual(['1', '2', '3', '4', '5']);
  });
}, 60_000);

test('bad templates are refused before anything is written, naming the problem', async () => {
  const probe = await createSeedFaker();
  const keys = (await spec('users-a')).keys;
  const refused = (template: Record<string, unknown>) =>
    shownError(() => compileTemplate({ template, keys }, probe));
  expect(refused({ pk: '{{string.uuid}}' })).toMatchObject({
    exitCode: 2,
    message: expect.stringContaining('no "sk" attribute'),
    hint: expect.stringContaining('(pk, sk)'),
  });
  expect(refused({ pk: '{{string.uuid}}', sk: '{{number.int}}', name: '{{person.nickname}}' })).toMatchObject(
    {
      exitCode: 2,
      message: expect.stringMatching(/"name" has an expression faker cannot evaluate .*person\.nickname/),
    },
  );
  expect(refused({ pk: 'same', sk: 7 })).toMatchObject({
    exitCode: 2,
    message: expect.stringContaining('key ("pk" and "sk") is the same for every item'),
  });
  // One constant key attribute is a single-table design's habit (sk "PROFILE"), not a mistake.
  expect(() => compileTemplate({ template: { pk: '{{string.uuid}}', sk: 1 }, keys }, probe)).not.toThrow();
  expect(refused({ pk: '{{string.uuid}}', sk: '{{person.firstName}}' })).toMatchObject({
    exitCode: 2,
    message: expect.stringMatching(/"sk" must be a number but gave "\w+"/),
  });
  expect(shownError(() => parseTemplate('{"pk": ', 't.json'))).toMatchObject({
    exitCode: 2,
    message: expect.stringContaining('The template t.json is not valid JSON'),
  });
  expect(shownError(() => parseTemplate('[1]', 't.json'))).toMatchObject({ exitCode: 2 });
});

test('the example templates fit the tables they are written for', async () => {
  const probe = await createSeedFaker();
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const users = await readTemplate(path.join(root, 'examples/templates/users.json'));
  const orders = await readTemplate(path.join(root, 'examples/templates/orders.json'));
  const pkSk = { hash: { name: 'pk', type: 'S' }, range: { name: 'sk', type: 'S' } } as const;
  const user = compileTemplate({ template: users, keys: pkSk }, probe);
  probe.seed(1);
  expect(user.keys(probe)).toEqual({ pk: { S: expect.stringMatching(/^USER#/) }, sk: { S: 'PROFILE' } });
  expect(user.attributes(probe)).toMatchObject({
    age: { N: expect.any(String) },
    verified: { BOOL: expect.any(Boolean) },
  });
  const order = compileTemplate({ template: orders, keys: { hash: { name: 'orderId', type: 'S' } } }, probe);
  expect(order.attributes(probe)).toMatchObject({ total: { N: expect.stringMatching(/^\d+(\.\d{1,2})?$/) } });
});

describe('the CLI', () => {
  const cli = (args: string[]) => runCli(['seed', ...args], { cwd: dir });

  test('seed --table --template --json fills the table (on the generator thread)', async () => {
    await createTable('cli');
    await writeFile(path.join(dir, 'users.json'), JSON.stringify(TEMPLATE));
    const r = await cli([
      '--table',
      'cli',
      '--template',
      'users.json',
      '--count',
      '260',
      '--seed',
      '5',
      '--json',
    ]);
    expect(r.stderr).not.toContain('Error');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ inserted: 260, updated: 0, deleted: 0, seed: 5 });
    expect(await scanAll('cli')).toHaveLength(260);
  }, 120_000);

  test.each([
    [['--table', 'cli'], /--table needs --template/, 2],
    [['--template', 'users.json'], /--template needs --table/, 2],
    [['--table', 'cli', '--template', 'missing.json'], /Cannot read the template missing\.json/, 2],
    [['--table', 'cli', '--template', 'broken.json'], /The template broken\.json is not valid JSON/, 2],
    [['--table', 'cli', '--template', 'unknown.json'], /"name" has an expression faker cannot evaluate/, 2],
    [['--table', 'cli', '--template', 'nokey.json'], /no "sk" attribute, the table's sort key \(N\)/, 2],
    [['--table', 'absent', '--template', 'users.json'], /There is no table absent/, 1],
  ])(
    'seed %j exits with its problem named',
    async (args, message, code) => {
      await writeFile(path.join(dir, 'broken.json'), '{"pk": "{{string.uuid}}",');
      await writeFile(
        path.join(dir, 'unknown.json'),
        JSON.stringify({ ...TEMPLATE, name: '{{person.fistName}}' }),
      );
      await writeFile(path.join(dir, 'nokey.json'), JSON.stringify({ pk: '{{string.uuid}}' }));
      const r = await cli(args);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.exitCode).toBe(code);
    },
    60_000,
  );
});
