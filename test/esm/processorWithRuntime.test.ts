import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseStack } from '../../src/config/stack.js';
import { listMessages, writeOnFailureMessage } from '../../src/esm/onFailureQueue.js';
import { esmSettingsFromStack } from '../../src/esm/settings.js';
import { ShardProcessor } from '../../src/esm/shardProcessor.js';
import { type LocalRuntime, startLocalRuntime } from '../../src/runtime/localRuntime.js';
import { systemClock } from '../../src/util/time.js';
import { makeRecord, STREAM_ARN, type TestRecord } from './records.js';

// Crashes its process on the poison order, hangs past the timeout on the slow
// one, and reports nothing otherwise.
const HANDLER = `
export const handler = async (event) => {
  for (const record of event.Records) {
    const id = record.dynamodb.Keys.orderId.S;
    if (id === 'poison') process.exit(1);
    if (id === 'slow') await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  return { batchItemFailures: [] };
};
`;

let dir: string;
let runtime: LocalRuntime;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'esm-runtime-'));
  await writeFile(path.join(dir, 'index.mjs'), HANDLER);
  runtime = await startLocalRuntime({
    bundleFile: path.join(dir, 'index.mjs'),
    handlerExport: 'handler',
    functionName: 'ingest',
    timeoutSeconds: 1,
    memoryMb: 128,
    env: { AWS_REGION: 'us-east-1' },
    logDir: path.join(dir, 'logs'),
  });
});
afterAll(async () => {
  await runtime.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('shard processor driving the local runtime', () => {
  test('crashes and timeouts are function errors: bisection isolates them, the rest is delivered', async () => {
    const dlqDir = path.join(dir, 'dlq');
    const delivered: string[] = [];
    const checkpoints: string[] = [];
    const keys = ['a', 'b', 'poison', 'c', 'd', 'e', 'slow', 'f'];
    const now = Math.floor(Date.now() / 1000);
    const records = keys.map((key, i) => makeRecord(i + 1, { key, createdSeconds: now }));
    const processor = new ShardProcessor<TestRecord>({
      shardId: 'shardId-1',
      streamArn: STREAM_ARN,
      functionArn: runtime.functionArn,
      settings: {
        ...esmSettingsFromStack(parseStack({}).event_source_mapping),
        BatchSize: 8,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 0,
      },
      clock: systemClock,
      retryDelayMs: () => 0,
      async invoke(batch) {
        const outcome = await runtime.invoke({ Records: batch });
        if (outcome.ok) delivered.push(...batch.map((r) => r.dynamodb.Keys.orderId?.S ?? ''));
        return outcome;
      },
      async onCheckpoint(seq) {
        checkpoints.push(seq);
      },
      onFailure: async (message) => {
        await writeOnFailureMessage(dlqDir, message);
      },
    });
    await processor.enqueue(records);
    await processor.drain();

    expect(delivered.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    const messages = (await listMessages(dlqDir)).map((m) => m.message);
    expect(messages.map((m) => m.DDBStreamBatchInfo.startSequenceNumber)).toEqual(['300', '700']);
    for (const message of messages) {
      expect(message.requestContext).toMatchObject({
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 1,
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ingest',
      });
      expect(message.responseContext.functionError).toBe('Unhandled');
      expect(message.DDBStreamBatchInfo.batchSize).toBe(1);
    }
    expect(checkpoints.at(-1)).toBe('800');
  });
});
