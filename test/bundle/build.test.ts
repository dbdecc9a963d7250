import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { buildBundle } from '../../src/bundle/build.js';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { UsageError } from '../../src/errors.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';
import { shownRejection } from '../helpers/errors.js';
import { makeKeyFile } from '../lambda/support.js';

const run = promisify(execFile);
const ENTRY = path.resolve('lambda/src/handler.ts');
let dynamo: TestDynamo;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-bundle-'));
  dynamo = await startTestDynamo();
  await ensureTables(dynamo.ddb, parseStack({}));
});
afterAll(async () => {
  await dynamo?.stop();
  await rm(tmp, { recursive: true, force: true });
});

test('the same source builds to the same zip bytes, and the bundle runs alone on a Lambda event', async () => {
  const first = await buildBundle({ entry: ENTRY, outDir: path.join(tmp, 'a') });
  const second = await buildBundle({ entry: 'lambda/src/handler.ts', outDir: path.join(tmp, 'b') });
  expect(first.handler).toBe('index.handler');
  expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(second.sha256).toBe(first.sha256);
  const zip = await readFile(first.zipFile);
  expect(createHash('sha256').update(zip).digest('base64')).toBe(first.sha256Base64);
  expect(zip.equals(await readFile(second.zipFile))).toBe(true);

  // Alone in a directory without node_modules, in its own Node process, as the local runtime runs it.
  const isolated = await mkdtemp(path.join(tmp, 'run-'));
  const bundle = path.join(isolated, 'index.mjs');
  await copyFile(first.bundleFile, bundle);
  const { file: keyFile } = await makeKeyFile();
  const event = await readFile('test/fixtures/sample-event.json', 'utf8');
  const script = `const { handler } = await import(${JSON.stringify(bundle)});
const result = await handler(JSON.parse(process.env.EVENT));
process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: isolated,
    env: {
      PATH: process.env.PATH ?? '',
      EVENT: event,
      SINK_TABLE_NAME: 'ddb-ingest-ingested',
      PII_KEY_FILE: keyFile,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'ddblocal',
      AWS_SECRET_ACCESS_KEY: 'ddblocal',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      POWERTOOLS_SERVICE_NAME: 'ddb-ingest',
      POWERTOOLS_METRICS_NAMESPACE: 'DdbIngest',
    },
  });
  const result = stdout.split('\n').find((line) => line.startsWith('RESULT '));
  expect(result).toBe('RESULT {"batchItemFailures":[]}');
  const logLines = stdout.split('\n').filter((line) => line.startsWith('{'));
  expect(logLines.filter((line) => JSON.parse(line).message === 'record applied')).toHaveLength(4);
  expect(stdout).not.toContain('jane.doe');

  const get = async (pk: string) =>
    (await dynamo.ddb.send(new GetItemCommand({ TableName: 'ddb-ingest-ingested', Key: { pk: { S: pk } } })))
      .Item;
  expect((await get('ORDER#0b7c2a64-3f1e-4c8a-9d55-1a2b3c4d5e6f'))?.status).toEqual({ S: 'PAID' });
  expect((await get('ORDER#5e9d1c3b-7a2f-4e6d-8c1b-9f8e7d6c5b4a'))?.deleted).toEqual({ BOOL: true });
  const aggregate = await get('CUSTOMER#cust-0042');
  expect([aggregate?.orderCount, aggregate?.totalSpent]).toEqual([{ N: '1' }, { N: '59.97' }]);
});

test('a syntax error becomes a UsageError (bad input: exit 2) naming the file and line', async () => {
  const entry = path.join(tmp, 'broken.ts');
  await writeFile(entry, 'export const handler = async () => {\n  return { ok: true ;\n};\n');
  const failure = buildBundle({ entry, outDir: path.join(tmp, 'broken') });
  expect(await shownRejection(failure)).toBeInstanceOf(UsageError);
  await expect(failure).rejects.toThrow(/broken\.ts:2:\d+: Expected "}" but found ";"/);
});

test('a missing export is named, as is a missing entry', async () => {
  const entry = path.join(tmp, 'other.js');
  await writeFile(entry, 'export const main = async () => ({});\n');
  await expect(buildBundle({ entry, outDir: path.join(tmp, 'other') })).rejects.toThrow(
    /does not export "handler" \(it exports: main\)/,
  );
  await expect(buildBundle({ entry: path.join(tmp, 'nope.ts'), outDir: tmp })).rejects.toThrow(
    /does not exist/,
  );
});

test("a user's handler outside the project can import the packages we ship", async () => {
  const entry = path.join(tmp, 'user-handler.ts');
  await writeFile(
    entry,
    [
      "import { Logger } from '@aws-lambda-powertools/logger';",
      'const logger = new Logger();',
      'export const main = async (event: { Records: unknown[] }) => {',
      "  logger.info('got', { n: event.Records.length });",
      '  return { batchItemFailures: [] };',
      '};',
      '',
    ].join('\n'),
  );
  const built = await buildBundle({
    entry,
    outDir: path.join(tmp, 'user'),
    handlerExport: 'main',
    minify: true,
  });
  expect(built.handler).toBe('index.main');
  const { stdout } = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(built.bundleFile)}); console.log('RESULT', JSON.stringify(await m.main({ Records: [1] })));`,
    ],
    { cwd: tmp, env: { PATH: process.env.PATH ?? '' } },
  );
  expect(stdout).toContain('RESULT {"batchItemFailures":[]}');
  expect(stdout).toMatch(/"message":"got".*"n":1/);
});
