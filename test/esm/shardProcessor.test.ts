import { describe, expect, test } from '@jest/globals';
import { parseStack } from '../../src/config/stack.js';
import type { OnFailureMessage } from '../../src/esm/onFailureMessage.js';
import { type EsmSettings, esmSettingsFromStack } from '../../src/esm/settings.js';
import { type EsmEvent, ShardProcessor } from '../../src/esm/shardProcessor.js';
import { applyEsmEvent, emptyEsmStats } from '../../src/esm/stats.js';
import type { InvokeOutcome } from '../../src/runtime/invokeOutcome.js';
import { FakeClock, makeRecord, STREAM_ARN, type TestRecord } from './records.js';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:ddb-ingest-ingest';
const SHARD = 'shardId-00000001767225600000-abcdef12';

function settings(overrides: Partial<EsmSettings> = {}): EsmSettings {
  return {
    ...esmSettingsFromStack(parseStack({}).event_source_mapping),
    BisectBatchOnFunctionError: false,
    MaximumRetryAttempts: 2,
    MaximumRecordAgeInSeconds: -1,
    ...overrides,
  };
}

type Handler = (records: TestRecord[], call: number) => InvokeOutcome | Promise<InvokeOutcome>;

const success = (result?: unknown): InvokeOutcome => ({ ok: true, result });
const thrown = (requestId = 'req-1'): InvokeOutcome => ({
  ok: false,
  functionError: 'Unhandled',
  errorType: 'Error',
  errorMessage: 'boom',
  reason: 'error',
  requestId,
});
const seqs = (records: TestRecord[]) => records.map((r) => r.dynamodb.SequenceNumber);

function harness(
  overrides: Partial<EsmSettings>,
  handler: Handler,
  options: { maxBatchBytes?: number } = {},
) {
  const clock = new FakeClock();
  const invocations: TestRecord[][] = [];
  const checkpoints: string[] = [];
  const dlq: OnFailureMessage[] = [];
  const events: EsmEvent[] = [];
  const log: string[] = [];
  const processor = new ShardProcessor<TestRecord>({
    shardId: SHARD,
    streamArn: STREAM_ARN,
    functionArn: FUNCTION_ARN,
    settings: settings(overrides),
    clock,
    retryDelayMs: () => 1000,
    ...options,
    async invoke(records) {
      invocations.push(records);
      log.push(`invoke ${seqs(records).join(',')}`);
      return handler(records, invocations.length);
    },
    async onCheckpoint(seq) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      checkpoints.push(seq);
      log.push(`checkpoint ${seq}`);
    },
    async onFailure(message) {
      dlq.push(message);
    },
    onEvent: (event) => events.push(event),
  });
  return { clock, processor, invocations, checkpoints, dlq, events, log };
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => makeRecord(from + i));

describe('ShardProcessor', () => {
  test('passes records through unchanged and checkpoints each batch before the next', async () => {
    const h = harness({ BatchSize: 2 }, () => success());
    const records = range(1, 4);
    await h.processor.enqueue(records);
    await h.processor.drain();
    expect(h.invocations).toEqual([records.slice(0, 2), records.slice(2)]);
    expect(h.invocations[0]?.[0]).toBe(records[0]);
    expect(h.log).toEqual(['invoke 100,200', 'checkpoint 200', 'invoke 300,400', 'checkpoint 400']);
    expect(h.dlq).toEqual([]);
  });

  test('a partial failure checkpoints the records before the lowest reported one and retries the rest', async () => {
    const h = harness({ BatchSize: 10 }, (_records, call) =>
      call === 1
        ? success({ batchItemFailures: [{ itemIdentifier: '1000' }, { itemIdentifier: '800' }] })
        : success({ batchItemFailures: [] }),
    );
    await h.processor.enqueue(range(6, 11));
    await h.processor.drain();
    expect(h.invocations.map(seqs)).toEqual([
      ['600', '700', '800', '900', '1000', '1100'],
      ['800', '900', '1000', '1100'],
    ]);
    expect(h.checkpoints).toEqual(['700', '1100']);
  });

  test('retries, then one on-failure message in AWS shape with approximateInvokeCount = retries + 1', async () => {
    const h = harness({ BatchSize: 10, MaximumRetryAttempts: 2 }, (_r, call) => thrown(`req-${call}`));
    const records = [
      makeRecord(1, { createdSeconds: 1_767_225_600 }),
      makeRecord(2, { createdSeconds: 1_767_225_601 }),
    ];
    await h.processor.enqueue(records);
    await h.processor.drain();
    expect(h.invocations).toHaveLength(3);
    expect(h.dlq).toEqual([
      {
        requestContext: {
          requestId: 'req-3',
          functionArn: FUNCTION_ARN,
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 3,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: new Date(h.clock.now()).toISOString(),
        DDBStreamBatchInfo: {
          shardId: SHARD,
          startSequenceNumber: '100',
          endSequenceNumber: '200',
          approximateArrivalOfFirstRecord: '2026-01-01T00:00:00Z',
          approximateArrivalOfLastRecord: '2026-01-01T00:00:01Z',
          batchSize: 2,
          streamArn: STREAM_ARN,
        },
      },
    ]);
    expect(h.dlq[0]?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(h.checkpoints).toEqual(['200']);
  });

  test('a partial failure uses a retry; its discard has no functionError', async () => {
    const h = harness({ MaximumRetryAttempts: 1 }, (records) =>
      success({ batchItemFailures: [{ itemIdentifier: records.at(-1)?.dynamodb.SequenceNumber }] }),
    );
    await h.processor.enqueue(range(1, 3));
    await h.processor.drain();
    expect(h.invocations.map(seqs)).toEqual([['100', '200', '300'], ['300']]);
    expect(h.dlq).toHaveLength(1);
    expect(h.dlq[0]?.requestContext.approximateInvokeCount).toBe(2);
    expect(h.dlq[0]?.responseContext.functionError).toBeNull();
    expect(h.dlq[0]?.DDBStreamBatchInfo).toMatchObject({ startSequenceNumber: '300', batchSize: 1 });
    expect(h.checkpoints).toEqual(['200', '300']);
  });

  test('an invalid item identifier fails the whole batch, never a success', async () => {
    const h = harness({ MaximumRetryAttempts: 0 }, () =>
      success({ batchItemFailures: [{ itemIdentifier: '' }] }),
    );
    await h.processor.enqueue(range(1, 2));
    await h.processor.drain();
    expect(h.dlq[0]?.DDBStreamBatchInfo.batchSize).toBe(2);
    expect(h.events.filter((e) => e.type === 'invoked').map((e) => e.type === 'invoked' && e.result)).toEqual(
      ['FAILED'],
    );
  });

  test('bisection isolates one poison record: the others succeed, one message names it', async () => {
    const poison = '600';
    const h = harness(
      { BatchSize: 8, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 1 },
      (records) => (seqs(records).includes(poison) ? thrown() : success()),
    );
    await h.processor.enqueue(range(1, 8));
    await h.processor.drain();
    const delivered = h.invocations.filter((r) => !seqs(r).includes(poison)).flatMap(seqs);
    expect(delivered.sort()).toEqual(['100', '200', '300', '400', '500', '700', '800']);
    // 8 -> 4 (5-8) -> 2 (5,6) -> 1 (6) twice: splits use no retry.
    expect(h.invocations.map(seqs)).toEqual([
      ['100', '200', '300', '400', '500', '600', '700', '800'],
      ['100', '200', '300', '400'],
      ['500', '600', '700', '800'],
      ['500', '600'],
      ['500'],
      ['600'],
      ['600'],
      ['700', '800'],
    ]);
    expect(h.dlq).toHaveLength(1);
    expect(h.dlq[0]?.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: poison,
      endSequenceNumber: poison,
      batchSize: 1,
    });
    expect(h.dlq[0]?.requestContext.approximateInvokeCount).toBe(2);
    expect(h.checkpoints.at(-1)).toBe('800');
  });

  test('records older than MaximumRecordAgeInSeconds are discarded as RecordAgeExceeded', async () => {
    const h = harness({ MaximumRecordAgeInSeconds: 60, MaximumRetryAttempts: -1 }, () => thrown());
    const created = h.clock.now() / 1000;
    await h.processor.enqueue([makeRecord(1, { createdSeconds: created })]);
    await h.processor.drain();
    // 1 s between retries: invoked at 0..60 s, discarded once older than 60 s.
    expect(h.invocations).toHaveLength(61);
    expect(h.dlq).toHaveLength(1);
    expect(h.dlq[0]?.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 61,
    });
    expect(h.dlq[0]?.responseContext.functionError).toBe('Unhandled');
  });

  test('a record already too old is discarded without an invocation', async () => {
    const h = harness({ MaximumRecordAgeInSeconds: 60 }, () => success());
    const now = h.clock.now() / 1000;
    await h.processor.enqueue([
      makeRecord(1, { createdSeconds: now - 61 }),
      makeRecord(2, { createdSeconds: now }),
    ]);
    await h.processor.drain();
    expect(h.invocations.map(seqs)).toEqual([['200']]);
    expect(h.dlq[0]?.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
    expect(h.dlq[0]?.responseContext.functionError).toBeNull();
    expect(h.dlq[0]?.DDBStreamBatchInfo).toMatchObject({ startSequenceNumber: '100', batchSize: 1 });
  });

  test('MaximumRetryAttempts -1 retries until the stream retention expires the record', async () => {
    const h = harness({ MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1 }, () => thrown());
    const created = h.clock.now() / 1000;
    // one retry an hour: the record is 24 h old after the 25th invocation
    const processor = new ShardProcessor<TestRecord>({
      shardId: SHARD,
      streamArn: STREAM_ARN,
      functionArn: FUNCTION_ARN,
      settings: settings({ MaximumRetryAttempts: -1 }),
      clock: h.clock,
      retryDelayMs: () => 3_600_000,
      invoke: async (records) => {
        h.invocations.push(records);
        return thrown();
      },
      onCheckpoint: async (seq) => {
        h.checkpoints.push(seq);
      },
      onFailure: async (message) => {
        h.dlq.push(message);
      },
    });
    await processor.enqueue([makeRecord(1, { createdSeconds: created })]);
    await processor.drain();
    expect(h.invocations).toHaveLength(25);
    expect(h.dlq[0]?.requestContext.condition).toBe('RecordAgeExceeded');
    expect(h.checkpoints).toEqual(['100']);
  });

  test('filtered-out records are checkpointed, never invoked, never discarded', async () => {
    const pattern = JSON.stringify({ dynamodb: { NewImage: { status: { S: ['PAID'] } } } });
    const h = harness({ FilterCriteria: { Filters: [{ Pattern: pattern }] }, MaximumRetryAttempts: 0 }, () =>
      thrown(),
    );
    await h.processor.enqueue([makeRecord(1), makeRecord(2)]);
    await h.processor.drain();
    expect(h.invocations).toEqual([]);
    expect(h.checkpoints).toEqual(['200']);

    await h.processor.enqueue([makeRecord(3), makeRecord(4, { status: 'PAID' }), makeRecord(5)]);
    await h.processor.drain();
    expect(h.invocations.map(seqs)).toEqual([['400']]);
    expect(h.dlq).toHaveLength(1);
    expect(h.dlq[0]?.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: '400',
      endSequenceNumber: '400',
    });
    expect(h.checkpoints.at(-1)).toBe('500');
    const stats = h.events.reduce(applyEsmEvent, emptyEsmStats());
    expect(stats).toMatchObject({
      recordsFiltered: 4,
      recordsDiscarded: 1,
      batchesFailed: 1,
      recordsProcessed: 0,
    });
  });

  test('the batching window holds a short batch until it closes; a full batch goes at once', async () => {
    const h = harness({ BatchSize: 3, MaximumBatchingWindowInSeconds: 10 }, () => success());
    await h.processor.enqueue(range(1, 2));
    expect(h.processor.msUntilReady()).toBe(10_000);
    h.processor.dispatch();
    await h.processor.settled();
    expect(h.invocations).toEqual([]);
    h.clock.advance(4_000);
    await h.processor.enqueue(range(3, 3));
    expect(h.processor.msUntilReady()).toBe(0);
    h.processor.dispatch();
    await h.processor.settled();
    expect(h.invocations.map(seqs)).toEqual([['100', '200', '300']]);

    await h.processor.enqueue(range(4, 5));
    h.clock.advance(9_999);
    h.processor.dispatch();
    await h.processor.settled();
    expect(h.invocations).toHaveLength(1);
    h.clock.advance(1);
    h.processor.dispatch();
    await h.processor.settled();
    expect(h.invocations.map(seqs)).toEqual([
      ['100', '200', '300'],
      ['400', '500'],
    ]);
    expect(h.processor.msUntilReady()).toBe(Number.POSITIVE_INFINITY);
  });

  test('a batch stays under the payload cap', async () => {
    const padding = 'x'.repeat(400);
    const records = [1, 2, 3, 4, 5].map((n) => makeRecord(n, { padding }));
    const oneRecord = Buffer.byteLength(JSON.stringify(records[0]));
    const h = harness({ BatchSize: 100 }, () => success(), { maxBatchBytes: 14 + 2 * (oneRecord + 1) + 5 });
    await h.processor.enqueue(records);
    await h.processor.drain();
    expect(h.invocations.map((r) => r.length)).toEqual([2, 2, 1]);
    for (const batch of h.invocations) {
      expect(Buffer.byteLength(JSON.stringify({ Records: batch }))).toBeLessThanOrEqual(
        14 + 2 * (oneRecord + 1) + 5,
      );
    }
  });

  test('ParallelizationFactor runs batches concurrently and keeps each key in order', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const records = Array.from({ length: 36 }, (_, i) => makeRecord(i + 1, { key: keys[i % keys.length] }));
    const inFlight = new Set<string>();
    const seen = new Map<string, number[]>();
    let maxConcurrent = 0;
    let overlap = false;
    let running = 0;
    const h = harness({ BatchSize: 2, ParallelizationFactor: 3 }, async (batch) => {
      const batchKeys = batch.map((r) => r.dynamodb.Keys.orderId?.S ?? '');
      if (batchKeys.some((k) => inFlight.has(k))) overlap = true;
      for (const k of batchKeys) inFlight.add(k);
      running++;
      maxConcurrent = Math.max(maxConcurrent, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      for (const k of batchKeys) inFlight.delete(k);
      for (const r of batch) {
        const key = r.dynamodb.Keys.orderId?.S ?? '';
        seen.set(key, [...(seen.get(key) ?? []), Number(r.dynamodb.SequenceNumber)]);
      }
      return success();
    });
    await h.processor.enqueue(records);
    await h.processor.drain();
    expect(overlap).toBe(false);
    expect(maxConcurrent).toBeGreaterThan(1);
    expect(maxConcurrent).toBeLessThanOrEqual(3);
    for (const key of keys) {
      const order = seen.get(key) ?? [];
      expect(order).toHaveLength(6);
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    expect(h.checkpoints.at(-1)).toBe('3600');
    const asNumbers = h.checkpoints.map(Number);
    expect(asNumbers).toEqual([...asNumbers].sort((x, y) => x - y));
  });

  test('events report iterator age and results for status', async () => {
    const h = harness({}, () => success());
    const created = h.clock.now() / 1000 - 5;
    await h.processor.enqueue([
      makeRecord(1, { createdSeconds: created - 10 }),
      makeRecord(2, { createdSeconds: created }),
    ]);
    await h.processor.drain();
    const stats = h.events.reduce(applyEsmEvent, emptyEsmStats());
    expect(stats).toMatchObject({
      lastProcessingResult: 'OK',
      iteratorAgeMs: 5000,
      recordsProcessed: 2,
      batchesFailed: 0,
      batchesInvoked: 1,
      checkpoints: { [SHARD]: '200' },
    });
  });

  test('a failing checkpoint stops the shard: nothing moves past it', async () => {
    const clock = new FakeClock();
    const invoked: string[][] = [];
    const processor = new ShardProcessor<TestRecord>({
      shardId: SHARD,
      streamArn: STREAM_ARN,
      functionArn: FUNCTION_ARN,
      settings: settings({ BatchSize: 1 }),
      clock,
      invoke: async (records) => {
        invoked.push(seqs(records));
        return success();
      },
      onCheckpoint: async () => {
        throw new Error('disk full');
      },
      onFailure: async () => {},
    });
    await processor.enqueue(range(1, 3));
    await expect(processor.drain()).rejects.toThrow('disk full');
    expect(invoked).toEqual([['100']]);
  });
});

test('with a coarse creation time (DynamoDB Local: minutes), iterator age counts from when the record was read', async () => {
  const clock = new FakeClock();
  const events: EsmEvent[] = [];
  const processor = new ShardProcessor<TestRecord>({
    shardId: SHARD,
    streamArn: STREAM_ARN,
    functionArn: FUNCTION_ARN,
    settings: settings({}),
    clock,
    invoke: async () => {
      clock.advance(40);
      return success();
    },
    onCheckpoint: async () => {},
    onFailure: async () => {},
    onEvent: (e) => events.push(e),
    creationTimeResolutionMs: 60_000,
  });
  // Rounded down to the minute, so up to a minute "old" by its timestamp, though written just now.
  clock.advance(59_000 - (clock.now() % 60_000));
  await processor.enqueue([makeRecord(1, { createdSeconds: Math.floor(clock.now() / 60_000) * 60 })]);
  await processor.drain();
  const invoked = events.find((e) => e.type === 'invoked');
  expect(invoked).toMatchObject({ type: 'invoked', iteratorAgeMs: 0 });
});

describe('stopping', () => {
  test('stop() during a retry back-off returns at once: the wait is cut short, nothing more is invoked', async () => {
    const h = harness({ BatchSize: 10 }, () => thrown());
    // Real waiting (an 8 s back-off, as a user's `down` meets it), with time counted from the records' creation.
    const { systemClock } = await import('../../src/util/time.js');
    const startedAt = Date.now();
    const clock = { now: () => new FakeClock().now() + (Date.now() - startedAt), sleep: systemClock.sleep };
    const processor = new ShardProcessor<TestRecord>({
      shardId: SHARD,
      streamArn: STREAM_ARN,
      functionArn: FUNCTION_ARN,
      settings: settings({ BatchSize: 10 }),
      clock,
      retryDelayMs: () => 8_000,
      async invoke(records) {
        h.invocations.push(records);
        return thrown();
      },
      onCheckpoint: async () => {},
      onFailure: async () => {},
    });
    await processor.enqueue(range(1, 3));
    processor.dispatch();
    while (h.invocations.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // Let the processor reach its back-off.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await processor.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(h.invocations).toHaveLength(1);
    expect(processor.pendingCount).toBe(3);
  });
});
