/**
 * Stream plumbing: turns a DynamoDB Streams batch into idempotent sink writes
 * with a partial batch response, structured logs and EMF metrics. It knows
 * nothing about orders: the business rules come in as a DomainModel.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  type AttributeValue,
  BatchGetItemCommand,
  GetItemCommand,
  type GetItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { applyChange, type SinkClient } from './apply.js';
import { type DomainModel, MalformedRecordError } from './domain.js';
import { parseStreamRecord, recordContext, type StreamChange } from './records.js';
import type { KeySource } from './secretKey.js';

export interface StreamHandlerOptions {
  /** The sink client, or a factory called once on first use (one client per container). */
  ddb: SinkClient | (() => SinkClient);
  /** The pipeline's secret key. */
  getKey: KeySource;
  domain: DomainModel;
  logger: Logger;
  metrics: Metrics;
  /** Sink table name; defaults to env `SINK_TABLE_NAME`, read at each invocation. */
  tableName?: string;
  /** Read-and-write rounds per record under concurrent writers (default 5). */
  maxAttempts?: number;
  /** Epoch milliseconds now, for the lag metric (default Date.now). */
  now?: () => number;
  /**
   * Item keys applied at once (default 16). Records of one key are always
   * applied one after another in batch order; only different keys overlap.
   * 1 applies the whole batch strictly in order.
   */
  keyConcurrency?: number;
}

export type StreamHandler = (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse>;

/** Outcome counts of one invocation, for the summary log line. */
interface Tally {
  processed: Map<string, number>;
  applied: number;
  duplicate: number;
  stale: number;
  failed: number;
}

/** Keys in flight: enough to hide DynamoDB round trips, few enough to stay kind to the sink's capacity. */
const DEFAULT_KEY_CONCURRENCY = 16;

export interface KeySchedulerOptions<T> {
  /** The item key; items without one (malformed records) run on their own. */
  keyOf: (item: T) => string | undefined;
  /** Items running at once (at least 1). */
  concurrency: number;
}

/**
 * Returns `schedule(item, run)`: `run` starts once the previous item of the
 * same key has finished (succeeded or failed) and one of `concurrency` slots
 * is free. Powertools' BatchProcessor, processing in parallel, calls its
 * record handler for every record in batch order, so the records of one key
 * run strictly in stream order (the only order the sink's per-item guard and
 * aggregates depend on) while different keys overlap. A failed record does
 * not stop the later records of its key, as in a sequential run: when the
 * event source mapping retries from the failed record on, the sequence guard
 * turns the retried copies into no-ops.
 */
export function keyScheduler<T>(
  options: KeySchedulerOptions<T>,
): <R>(item: T, run: () => Promise<R>) => Promise<R> {
  const limit = Math.max(1, options.concurrency);
  const tails = new Map<string, Promise<unknown>>();
  const waiting: (() => void)[] = [];
  let active = 0;
  const acquire = async (): Promise<void> => {
    if (active < limit) {
      active += 1;
      return;
    }
    // The releasing item hands its slot over: `active` stays as it is.
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };
  return <R>(item: T, run: () => Promise<R>): Promise<R> => {
    const key = options.keyOf(item);
    const previous = key === undefined ? Promise.resolve() : (tails.get(key) ?? Promise.resolve());
    const result = previous
      .catch(() => {})
      .then(async () => {
        await acquire();
        try {
          return await run();
        } finally {
          release();
        }
      });
    if (key !== undefined) tails.set(key, result);
    return result;
  };
}

/** BatchGetItem's limit of keys per call. */
const BATCH_GET_KEYS = 100;

/**
 * A sink client that answers the first consistent GetItem of each key from
 * one BatchGetItem made for the whole batch, and sends everything else on.
 * Safe because applyChange conditions its write on the item being exactly as
 * read: if another writer changed it since the prefetch, the write is refused
 * and the retry reads live. Later records of a key always read live (the
 * snapshot would be stale by then). Saves one round trip per item key: about
 * a third of the sink calls of a batch. A failed prefetch only costs the
 * saving. The sink's key attribute is `pk`, as in applyChange.
 */
export async function prefetchingSink(
  ddb: SinkClient,
  tableName: string,
  pks: string[],
): Promise<SinkClient> {
  const snapshot = new Map<string, Record<string, AttributeValue> | undefined>();
  const unique = [...new Set(pks)];
  try {
    for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) {
      const chunk = unique.slice(i, i + BATCH_GET_KEYS);
      const out = await ddb.send(
        new BatchGetItemCommand({
          RequestItems: {
            [tableName]: { Keys: chunk.map((pk) => ({ pk: { S: pk } })), ConsistentRead: true },
          },
        }),
      );
      const unprocessed = new Set(
        (out.UnprocessedKeys?.[tableName]?.Keys ?? []).map((key) => key.pk?.S).filter(Boolean),
      );
      const found = new Map((out.Responses?.[tableName] ?? []).map((item) => [item.pk?.S, item]));
      // Unprocessed keys are simply read live later.
      for (const pk of chunk) if (!unprocessed.has(pk)) snapshot.set(pk, found.get(pk));
    }
  } catch {
    snapshot.clear();
  }
  const send = (async (command: unknown) => {
    if (command instanceof GetItemCommand && command.input.TableName === tableName) {
      const pk = command.input.Key?.pk?.S;
      if (pk !== undefined && snapshot.has(pk)) {
        const item = snapshot.get(pk);
        snapshot.delete(pk);
        return { $metadata: {}, ...(item ? { Item: item } : {}) } satisfies GetItemCommandOutput;
      }
    }
    return ddb.send(command as GetItemCommand);
  }) as SinkClient['send'];
  return { send };
}

export function createStreamHandler(options: StreamHandlerOptions): StreamHandler {
  const { domain, logger, metrics } = options;
  const now = options.now ?? Date.now;
  let client: SinkClient | undefined;
  const ddb = () => {
    client ??= typeof options.ddb === 'function' ? options.ddb() : options.ddb;
    return client;
  };

  return async (event, context) => {
    if (context?.awsRequestId) logger.addContext(context);
    try {
      const tableName = options.tableName ?? process.env.SINK_TABLE_NAME;
      if (!tableName) throw new Error('SINK_TABLE_NAME is not set: the handler does not know its sink table');
      let secretKey: Buffer;
      try {
        secretKey = await options.getKey();
      } catch (err) {
        // The message says where the key should be, never what it is.
        logger.error('cannot load the PII key; failing the whole batch', { reason: (err as Error).message });
        throw err;
      }

      const tally: Tally = { processed: new Map(), applied: 0, duplicate: 0, stale: 0, failed: 0 };
      const fail = (index: number, err: unknown) => {
        tally.failed += 1;
        const error = err as Error;
        logger.error(error instanceof MalformedRecordError ? 'record malformed' : 'record failed', {
          record: recordContext(event.Records[index] as DynamoDBRecord, domain.itemKey),
          reason: error.message,
          errorName: error.name,
        });
      };

      // Checking and projecting are pure, so malformed records fail here, in
      // batch order and before any write; applyChange projects again (an HMAC
      // per record, negligible next to two sink round trips).
      const prepared = new Map<
        DynamoDBRecord,
        { index: number; change: StreamChange } | { error: unknown }
      >();
      event.Records.forEach((record, index) => {
        try {
          const change = parseStreamRecord(record);
          if (change.newImage) domain.project(change.newImage, { secretKey });
          prepared.set(record, { index, change });
        } catch (err) {
          fail(index, err);
          prepared.set(record, { error: err });
        }
      });
      const keyOf = (index: number) =>
        recordContext(event.Records[index] as DynamoDBRecord, domain.itemKey).key;

      const sink = await prefetchingSink(
        ddb(),
        tableName,
        [...prepared.values()].flatMap((entry) => ('index' in entry ? (keyOf(entry.index) ?? []) : [])),
      );
      const applyOne = async ({ index, change }: { index: number; change: StreamChange }) => {
        const record = event.Records[index] as DynamoDBRecord;
        try {
          const result = await applyChange(
            {
              ddb: sink,
              tableName,
              domain,
              secretKey,
              ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
            },
            change,
          );
          tally[result.outcome] += 1;
          tally.processed.set(change.eventName, (tally.processed.get(change.eventName) ?? 0) + 1);
          if (change.approximateCreationDateTime !== undefined) {
            const lag = Math.max(0, now() - change.approximateCreationDateTime * 1000);
            metrics.addMetric('ProcessingLag', MetricUnit.Milliseconds, lag);
          }
          logger.info(`record ${result.outcome}`, {
            record: recordContext(record, domain.itemKey),
            outcome: result.outcome,
            attempts: result.attempts,
          });
          return result.outcome;
        } catch (err) {
          fail(index, err);
          throw err;
        }
      };

      // Records of one item key stay in stream order; different keys overlap,
      // so a batch takes about (records per key) round trips, not (records).
      const schedule = keyScheduler<{ index: number; change: StreamChange }>({
        keyOf: (entry) => keyOf(entry.index),
        concurrency: options.keyConcurrency ?? DEFAULT_KEY_CONCURRENCY,
      });
      // Powertools reports every record whose handler threw in batchItemFailures,
      // by sequence number; the event source mapping retries from the lowest.
      const response = await processPartialResponse(
        event,
        async (record: DynamoDBRecord) => {
          const entry = prepared.get(record);
          if (!entry) throw new Error('record not prepared');
          if ('error' in entry) throw entry.error;
          return schedule(entry, () => applyOne(entry));
        },
        new BatchProcessor(EventType.DynamoDBStreams),
        { ...(context ? { context } : {}), throwOnFullBatchFailure: false, processInParallel: true },
      );

      for (const [eventName, count] of tally.processed) {
        const single = metrics.singleMetric();
        single.addDimension('eventName', eventName);
        single.addMetric('RecordsProcessed', MetricUnit.Count, count);
      }
      metrics.addMetric('RecordsFailed', MetricUnit.Count, tally.failed);
      metrics.addMetric('RecordsSkippedStale', MetricUnit.Count, tally.stale + tally.duplicate);
      logger.info('batch done', {
        records: event.Records.length,
        applied: tally.applied,
        duplicate: tally.duplicate,
        stale: tally.stale,
        failed: tally.failed,
        batchItemFailures: response.batchItemFailures.length,
      });
      return response;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
