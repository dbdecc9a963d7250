/**
 * Faults around the real local pipeline (runLocalPipeline: stream reader,
 * event source mapping, local runtime running the built bundle) against
 * DynamoDB Local: throttling and 5xx on every DynamoDB and Streams call,
 * handler timeouts and worker crashes mid-batch, a poison record (isolated,
 * reported once, replayed after the fix), and records replayed twice and out
 * of order. One DynamoDB Local and one state dir: each case starts from the
 * previous one's checkpoints, so it only processes its own records.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateTableCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createHandler } from '../../lambda/src/handler.js';
import { buildBundle } from '../../src/bundle/build.js';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { countMessages, listMessages } from '../../src/esm/onFailureQueue.js';
import { runSeed } from '../../src/seed/index.js';
import { readStream } from '../../src/streams/readStream.js';
import type { WireRecord } from '../../src/streams/wire.js';
import { pipelinePaths, runLocalPipeline } from '../../src/targets/local/pipeline.js';
import { ensurePiiKeyFile } from '../../src/targets/local/secret.js';
import { type LocalState, writeLocalState } from '../../src/targets/local/state.js';
import { readLocalPiiKey } from '../../src/verify/key.js';
import { verifySink } from '../../src/verify/verify.js';
import { runCli } from '../helpers/cli.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';
import { startFaultProxy } from '../helpers/faultProxy.js';
import { findLeaks, readTexts, sourcePii } from '../helpers/leaks.js';
import { reportFigures, waitFor, waitForConvergence } from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REAL_HANDLER = path.join(ROOT, 'lambda', 'src', 'handler.ts');
const baseStack = parseStack({});

let dynamo: TestDynamo;
let dir: string;
let stateDir: string;
let streamArn: string;
let piiKeyFile: string;
let secretKey: Buffer;
let seeds = 0;

interface CaseOptions {
  /** Handler source file (TypeScript or JavaScript). */
  entry: string;
  /** DynamoDB endpoint the runner and the function use (e.g. a fault proxy). */
  endpoint?: string;
  function?: Record<string, unknown>;
  esm?: Record<string, unknown>;
}

function localState(endpoint = dynamo.endpoint): LocalState {
  return {
    version: 1,
    region: 'us-east-1',
    dynamodb: { pid: dynamo.pid, port: dynamo.port, endpoint, startedAt: new Date().toISOString() },
    tables: { source: baseStack.source_table.name, sink: baseStack.sink_table.name, streamArn },
    piiKeyFile,
  };
}

async function stackFile(
  options: CaseOptions,
): Promise<{ file: string; stack: ReturnType<typeof parseStack> }> {
  const raw = {
    function: { entry: options.entry, timeout: 5, memory_size: 128, ...options.function },
    event_source_mapping: { batch_size: 50, ...options.esm },
  };
  const file = path.join(dir, 'ddb-ingest.json');
  await writeFile(file, JSON.stringify(raw));
  return { file, stack: parseStack(raw) };
}

/** Builds `entry` and runs the local pipeline until `until` resolves. */
async function withPipeline<T>(options: CaseOptions, until: () => Promise<T>): Promise<T> {
  const { stack } = await stackFile(options);
  await buildBundle({
    entry: options.entry,
    outDir: pipelinePaths(stateDir).buildDir,
    handlerExport: 'handler',
  });
  const controller = new AbortController();
  const running = runLocalPipeline({
    stack,
    stateDir,
    state: localState(options.endpoint),
    signal: controller.signal,
    pollIntervalMs: 100,
  });
  try {
    return await Promise.race([
      until(),
      running.then(() => Promise.reject(new Error('the pipeline stopped'))),
    ]);
  } finally {
    controller.abort();
    await running.catch(() => {});
  }
}

async function seed(count: number, updates: number, deletes: number): Promise<number> {
  seeds++;
  await runSeed({
    client: dynamo.ddb,
    tableName: baseStack.source_table.name,
    count,
    updates,
    deletes,
    seed: 700 + seeds,
  });
  return count + updates + deletes;
}

const converge = () =>
  waitForConvergence({ client: dynamo.ddb, stack: baseStack, secretKey, timeoutMs: 90_000 });
const dlqDir = () => pipelinePaths(stateDir).dlqDir;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  ({ streamArn } = await ensureTables(dynamo.ddb, baseStack));
  dir = await mkdtemp(path.join(os.tmpdir(), 'reliability-faults-'));
  stateDir = path.join(dir, '.ddb-ingest');
  piiKeyFile = await ensurePiiKeyFile(stateDir);
  secretKey = await readLocalPiiKey(piiKeyFile);
}, 60_000);
afterAll(async () => {
  await dynamo?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('throttling and 5xx between the handler and DynamoDB and between the runner and the stream', async () => {
  const proxy = await startFaultProxy(dynamo.endpoint);
  const byOperation: Record<string, number> = {};
  let call = 0;
  proxy.decide = (operation) => {
    call++;
    const fault =
      call % 6 === 0
        ? ({ kind: 'throttle' } as const)
        : call % 10 === 5
          ? ({ kind: 'serverError' } as const)
          : undefined;
    if (fault) byOperation[operation] = (byOperation[operation] ?? 0) + 1;
    return fault;
  };
  try {
    const records = await seed(120, 24, 12);
    const report = await withPipeline({ entry: REAL_HANDLER, endpoint: proxy.endpoint }, converge);
    expect(report.ok).toBe(true);
    expect(await countMessages(dlqDir())).toBe(0);
    // Faults hit both sides: the stream reads of the runner and the handler's reads and writes (the
    // grouped handler reads with BatchGetItem and writes whole groups in one TransactWriteItems).
    expect(byOperation.GetRecords).toBeGreaterThan(0);
    const handlerOps = ['TransactWriteItems', 'BatchGetItem', 'GetItem'] as const;
    expect(handlerOps.reduce((n, op) => n + (byOperation[op] ?? 0), 0)).toBeGreaterThan(0);
    reportFigures('throttle-5xx', { records, calls: call, injected: proxy.injected, byOperation, lost: 0 });
  } finally {
    await proxy.close();
  }
}, 180_000);

// Misbehaves once per 6 invocations each way: a timeout after half the batch
// is written, and a crash (process.exit, or running out of memory) after half.
const CHAOS_HANDLER = `
import { readFileSync, writeFileSync } from 'node:fs';
import { handler as real } from ${JSON.stringify(REAL_HANDLER)};
export const handler = async (event, context) => {
  const file = process.env.CHAOS_STATE_FILE;
  let n = 0;
  try { n = Number(readFileSync(file, 'utf8')) || 0; } catch {}
  n++;
  writeFileSync(file, String(n));
  const half = { Records: event.Records.slice(0, Math.ceil(event.Records.length / 2)) };
  if (n % 6 === 2) {
    await real(half, context);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
  if (n % 6 === 5) {
    await real(half, context);
    if (n % 12 === 5) process.exit(1);
    const hog = [];
    for (;;) hog.push(new Array(1_000_000).fill(n));
  }
  return real(event, context);
};
`;

test('handler timeouts and worker crashes (exit, out of memory) mid-batch converge without loss', async () => {
  const entry = path.join(dir, 'chaos.mjs');
  const stateFile = path.join(dir, 'chaos-count');
  await writeFile(entry, CHAOS_HANDLER);
  const records = await seed(150, 30, 15);
  const report = await withPipeline(
    {
      entry,
      function: { timeout: 2, environment: { CHAOS_STATE_FILE: stateFile } },
      esm: { batch_size: 20 },
    },
    converge,
  );
  expect(report.ok).toBe(true);
  expect(await countMessages(dlqDir())).toBe(0);
  const invocations = Number(await readFile(stateFile, 'utf8'));
  // Each misbehaviour happened at least once: timeouts (2, 8), exit (5), out of memory (11).
  expect(invocations).toBeGreaterThanOrEqual(11);
  const logs = Object.values(await readTexts([pipelinePaths(stateDir).logDir])).join('\n');
  expect(logs).toMatch(/Task timed out/);
  expect(logs).toMatch(/Runtime exited with error/);
  expect(logs).toMatch(/Runtime.OutOfMemory/);
  reportFigures('timeouts-crashes', {
    records,
    invocations,
    timeouts: Math.floor((invocations + 4) / 6),
    crashes: Math.floor((invocations + 1) / 6),
    lost: 0,
  });
}, 180_000);

test('records replayed twice and out of order leave the sink as one in-order delivery', async () => {
  const sink = 'reliability-replay-sink';
  await dynamo.ddb.send(
    new CreateTableCommand({
      TableName: sink,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const records: WireRecord[] = [];
  for await (const page of readStream({
    client: dynamo.streams,
    streamArn,
    from: { type: 'trim-horizon' },
    follow: false,
  }))
    records.push(...page.records);
  const handler = createHandler({
    ddb: dynamo.ddb,
    getKey: async () => secretKey,
    tableName: sink,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
  });
  // Newest first, then a shuffled second pass in odd-sized batches.
  const reversed = [...records].reverse();
  let state = 7;
  const shuffled = [...records].sort(() => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state % 3) - 1;
  });
  for (const [pass, batchSize] of [
    [reversed, 37],
    [shuffled, 23],
  ] as const) {
    for (let i = 0; i < pass.length; i += batchSize) {
      const result = await handler({
        Records: pass.slice(i, i + batchSize),
      } as unknown as DynamoDBStreamEvent);
      expect(result.batchItemFailures).toEqual([]);
    }
  }
  const report = await verifySink({
    client: dynamo.ddb,
    sourceTable: baseStack.source_table.name,
    sinkTable: sink,
    secretKey,
  });
  expect(report).toMatchObject({
    ok: true,
    missing: { count: 0 },
    extra: { count: 0 },
    mismatched: { count: 0 },
  });
  reportFigures('replay-twice-out-of-order', {
    records: records.length,
    deliveries: records.length * 2,
    lost: 0,
  });
}, 120_000);

const POISON_HANDLER = `
import { handler as real } from ${JSON.stringify(REAL_HANDLER)};
export const handler = async (event, context) => {
  if (event.Records.some((r) => r.dynamodb.Keys.orderId.S === process.env.POISON_ORDER_ID)) {
    throw new Error('cannot process this order');
  }
  return real(event, context);
};
`;

test('a poison record: bisected out, retries exhausted, one on-failure message; replay --from-dlq after the fix lands it', async () => {
  const entry = path.join(dir, 'poison.mjs');
  await writeFile(entry, POISON_HANDLER);
  const poisonId = 'poison-order-0001';
  const records = await seed(60, 0, 0);
  // A valid order that only the poisoned handler refuses, written between seeded ones.
  const sample = await sourceOrder();
  await dynamo.ddb.send(
    new PutItemCommand({
      TableName: baseStack.source_table.name,
      Item: { ...sample, orderId: { S: poisonId }, customerId: { S: 'poison-customer' } },
    }),
  );
  const after = await seed(60, 0, 0);
  const options: CaseOptions = {
    entry,
    function: { environment: { POISON_ORDER_ID: poisonId } },
    esm: { maximum_retry_attempts: 1, bisect_batch_on_function_error: true },
  };
  const report = await withPipeline(options, () =>
    waitFor(
      async () => {
        if ((await countMessages(dlqDir())) === 0) return undefined;
        const r = await verifySink({
          client: dynamo.ddb,
          sourceTable: baseStack.source_table.name,
          sinkTable: baseStack.sink_table.name,
          secretKey,
        });
        return r.missing.count === 2 && r.mismatched.count === 0 && r.extra.count === 0 ? r : undefined;
      },
      90_000,
      () => 'the poison record was never isolated',
      500,
    ),
  );
  // Every other record landed: only the poison order and its customer's aggregate are missing.
  expect(report.missing.examples.map((d) => d.pk).sort()).toEqual([
    'CUSTOMER#poison-customer',
    `ORDER#${poisonId}`,
  ]);
  const poisonSeq = await sequenceOf(poisonId);
  const messages = await listMessages(dlqDir());
  expect(messages).toHaveLength(1);
  expect(messages[0]?.message).toMatchObject({
    requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 },
    responseContext: { functionError: 'Unhandled' },
    DDBStreamBatchInfo: {
      startSequenceNumber: poisonSeq,
      endSequenceNumber: poisonSeq,
      batchSize: 1,
      streamArn,
    },
  });

  // The fix: the shipped handler again, then the queued batch replayed through the CLI.
  const { file } = await stackFile({ entry: REAL_HANDLER });
  await buildBundle({
    entry: REAL_HANDLER,
    outDir: pipelinePaths(stateDir).buildDir,
    handlerExport: 'handler',
  });
  await writeLocalState(stateDir, localState());
  const replay = await runCli(
    ['replay', '--from-dlq', '--delete', '--config', file, '--state-dir', stateDir],
    {
      cwd: dir,
    },
  );
  expect({ code: replay.exitCode, stderr: replay.stderr }).toMatchObject({ code: 0 });
  expect((await converge()).ok).toBe(true);
  expect(await countMessages(dlqDir())).toBe(0);
  reportFigures('poison', { records: records + after + 1, onFailureMessages: 1, replayed: 1, lost: 0 });

  // Nothing the runs of this file produced holds the key or PII.
  const key = (await readFile(piiKeyFile, 'utf8')).trim();
  const pii = await sourcePii(dynamo.ddb, baseStack.source_table.name);
  const texts: Record<string, string> = {
    ...(await readTexts([stateDir])),
    replay: `${replay.stdout}\n${replay.stderr}`,
  };
  delete texts[piiKeyFile];
  expect(
    findLeaks(texts, [
      { label: 'the PII key', value: key },
      ...pii.map((value) => ({ label: 'PII', value })),
    ]),
  ).toEqual([]);
}, 240_000);

async function sourceOrder() {
  const page = await dynamo.ddb.send(new ScanCommand({ TableName: baseStack.source_table.name, Limit: 1 }));
  const item = page.Items?.[0];
  if (!item) throw new Error('no source order to copy');
  return item;
}

async function sequenceOf(orderId: string): Promise<string> {
  for await (const page of readStream({
    client: dynamo.streams,
    streamArn,
    from: { type: 'trim-horizon' },
    follow: false,
  })) {
    const record = page.records.find((r) => (r.dynamodb.Keys.orderId as { S?: string }).S === orderId);
    if (record) return record.dynamodb.SequenceNumber;
  }
  throw new Error(`no stream record for ${orderId}`);
}
