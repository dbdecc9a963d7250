import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { CheckpointStore } from '../../src/esm/checkpointStore.js';
import { runEventSourceMapping } from '../../src/esm/mapping.js';
import type { OnFailureMessage } from '../../src/esm/onFailureMessage.js';
import { esmSettingsFromStack } from '../../src/esm/settings.js';
import type { InvokeOutcome } from '../../src/runtime/invokeOutcome.js';
import type { WireRecord } from '../../src/streams/wire.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';

const stack = parseStack({ event_source_mapping: { batch_size: 10 } });
let dynamo: TestDynamo;
let streamArn: string;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  ({ streamArn } = await ensureTables(dynamo.ddb, stack));
});
afterAll(async () => {
  await dynamo?.stop();
});

async function put(ids: number[]): Promise<void> {
  for (const i of ids) {
    await dynamo.ddb.send(
      new PutItemCommand({
        TableName: stack.source_table.name,
        Item: { orderId: { S: `o-${String(i).padStart(4, '0')}` }, n: { N: String(i) } },
      }),
    );
  }
}

/** The `n` attribute of a record's new image. */
const numberOf = (r: WireRecord) => (r.dynamodb.NewImage?.n as { N?: string } | undefined)?.N;

interface Run {
  stop(): Promise<void>;
  delivered: WireRecord[][];
  failures: OnFailureMessage[];
  until(pred: () => boolean, timeoutMs?: number): Promise<void>;
}

function startMapping(
  store: CheckpointStore,
  invoke: (records: WireRecord[]) => Promise<InvokeOutcome> = async () => ({ ok: true, result: null }),
): Run {
  const controller = new AbortController();
  const delivered: WireRecord[][] = [];
  const failures: OnFailureMessage[] = [];
  const done = runEventSourceMapping({
    streams: dynamo.streams,
    streamArn,
    region: 'us-east-1',
    settings: esmSettingsFromStack(stack.event_source_mapping),
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
    invoke: async (records) => {
      delivered.push(records);
      return invoke(records);
    },
    checkpoints: store,
    onFailure: async (m) => {
      failures.push(m);
    },
    signal: controller.signal,
    pollIntervalMs: 20,
    describeIntervalMs: 500,
    retryDelayMs: () => 10,
  });
  return {
    delivered,
    failures,
    async stop() {
      controller.abort();
      await done;
    },
    async until(pred, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out; delivered ${delivered.flat().length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

test('every write reaches the handler in order, in batches of BatchSize; a restart resumes after the checkpoint', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'esm-'));
  await put(Array.from({ length: 25 }, (_, i) => i));
  const first = startMapping(await CheckpointStore.open(dir, streamArn));
  await first.until(() => first.delivered.flat().length >= 25);
  await first.stop();
  const ids = first.delivered.flat().map((r) => r.dynamodb.NewImage?.orderId);
  expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => ({ S: `o-${String(i).padStart(4, '0')}` })));
  expect(Math.max(...first.delivered.map((b) => b.length))).toBeLessThanOrEqual(10);
  expect(first.delivered[0]?.[0]).toMatchObject({
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    eventSourceARN: streamArn,
  });

  const saved = JSON.parse(await readFile(path.join(dir, 'checkpoints.json'), 'utf8'));
  expect(saved.streamArn).toBe(streamArn);
  const lastSeq = first.delivered.flat().at(-1)?.dynamodb.SequenceNumber;
  expect(Object.values(saved.shards).map((s) => (s as { sequenceNumber: string }).sequenceNumber)).toContain(
    lastSeq,
  );

  await put([25, 26, 27]);
  const second = startMapping(await CheckpointStore.open(dir, streamArn));
  await second.until(() => second.delivered.flat().length >= 3);
  await new Promise((r) => setTimeout(r, 200));
  await second.stop();
  expect(second.delivered.flat().map((r) => numberOf(r))).toEqual(['25', '26', '27']);
});

test('a failing record is retried, then discarded with one on-failure message; the shard moves on', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'esm-'));
  const store = await CheckpointStore.open(dir, streamArn);
  // Start after everything written so far, as a fresh mapping would with LATEST.
  const warm = startMapping(store);
  await warm.until(() => warm.delivered.flat().length >= 28);
  await warm.stop();

  await put([100, 101, 102]);
  const resumed = await CheckpointStore.open(dir, streamArn);
  const run = startMapping(resumed, async (records) => {
    const poison = records.find((r) => numberOf(r) === '101');
    return poison
      ? { ok: true, result: { batchItemFailures: [{ itemIdentifier: poison.dynamodb.SequenceNumber }] } }
      : { ok: true, result: null };
  });
  await run.until(() => run.failures.length === 1, 60_000);
  // Moving on: a record written after the discard is delivered and the checkpoint passes it.
  await put([103]);
  const seqOf = (n: string) => run.delivered.flat().find((r) => numberOf(r) === n)?.dynamodb.SequenceNumber;
  const shardId = (run.failures[0] as OnFailureMessage).DDBStreamBatchInfo.shardId;
  await run.until(() => seqOf('103') !== undefined && resumed.sequenceNumber(shardId) === seqOf('103'));
  await run.stop();
  const message = run.failures[0] as OnFailureMessage;
  expect(message.requestContext.condition).toBe('RetryAttemptsExhausted');
  expect(message.requestContext.approximateInvokeCount).toBe(
    stack.event_source_mapping.maximum_retry_attempts + 1,
  );
  expect(message.DDBStreamBatchInfo.batchSize).toBeGreaterThanOrEqual(1);
  const after = run.delivered.flat().map((r) => numberOf(r));
  expect(after).toContain('102');
}, 90_000);

test('a checkpoint that cannot be saved fails the mapping, also while records read ahead wait for a batch', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'esm-'));
  const store = await CheckpointStore.open(dir, streamArn);
  const warm = startMapping(store);
  await warm.until(() => warm.delivered.flat().length >= 32);
  await warm.stop();

  // 25 records, batches of 10: when the first batch's checkpoint fails, 15 are still queued.
  await put(Array.from({ length: 25 }, (_, i) => 200 + i));
  const failing = await CheckpointStore.open(dir, streamArn);
  failing.save = async () => {
    throw new Error('disk full');
  };
  const controller = new AbortController();
  const delivered: WireRecord[][] = [];
  const done = runEventSourceMapping({
    streams: dynamo.streams,
    streamArn,
    region: 'us-east-1',
    settings: esmSettingsFromStack(stack.event_source_mapping),
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
    invoke: async (records) => {
      delivered.push(records);
      return { ok: true, result: null };
    },
    checkpoints: failing,
    onFailure: async () => {},
    signal: controller.signal,
    pollIntervalMs: 20,
    describeIntervalMs: 500,
  });
  const stalled = new Promise<'stalled'>((resolve) => setTimeout(() => resolve('stalled'), 10_000).unref());
  try {
    await expect(Promise.race([done, stalled])).rejects.toThrow('disk full');
    // Nothing after the batch whose checkpoint failed was delivered.
    expect(delivered).toHaveLength(1);
  } finally {
    controller.abort();
    await done.catch(() => {});
  }
}, 60_000);
