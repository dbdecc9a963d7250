/**
 * Stream plumbing: turns a DynamoDB Streams batch into idempotent sink writes
 * with a partial batch response, structured logs and EMF metrics. It knows
 * nothing about orders: the business rules come in as a DomainModel.
 *
 * Each record is prepared once (prepare.ts); the prepared records are applied
 * together in grouped transactions (applyBatch.ts); Powertools' BatchProcessor,
 * processing in parallel, awaits each record's own outcome from that shared
 * work and turns a failed one into its `batchItemFailures` entry, so the
 * partial batch response stays per record.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { SinkClient } from './apply.js';
import { applyBatch, DEFAULT_MAX_ACTIONS, type RecordResult } from './applyBatch.js';
import { type DomainModel, MalformedRecordError } from './domain.js';
import { MAX_TRANSACTION_ACTIONS } from './grouping.js';
import { type PreparedRecord, prepareRecord } from './prepare.js';
import { changeContext, type RecordContext, recordContext } from './records.js';
import { countingSink } from './roundTrips.js';
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
  tableName?: string | undefined;
  /**
   * Reads of an item before its record fails when other writers keep winning.
   * @default 5
   */
  maxAttempts?: number | undefined;
  /** Epoch milliseconds now, for the lag metric (default Date.now). */
  now?: (() => number) | undefined;
  /**
   * Actions per transaction (1 to 100): records of different item keys share
   * a TransactWriteItems of one put per record and one update per aggregate.
   * 2 gives one record per transaction. Default: env `SINK_GROUP_SIZE`, else
   * DEFAULT_MAX_ACTIONS.
   * @default 100
   */
  groupSize?: number | undefined;
  /**
   * Transactions in flight at once within a batch.
   * @default 16
   */
  concurrency?: number | undefined;
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

/** The group size from the option or `SINK_GROUP_SIZE`; a bad value fails the whole batch, clearly. */
function groupSizeOf(option: number | undefined): number {
  const text = process.env.SINK_GROUP_SIZE;
  const value = option ?? (text === undefined || text === '' ? DEFAULT_MAX_ACTIONS : Number(text));
  if (!Number.isInteger(value) || value < 1 || value > MAX_TRANSACTION_ACTIONS) {
    throw new Error(
      `SINK_GROUP_SIZE must be an integer from 1 to ${MAX_TRANSACTION_ACTIONS} (actions per transaction), not ${option ?? text}`,
    );
  }
  return value;
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
      const groupSize = groupSizeOf(options.groupSize);
      let secretKey: Buffer;
      try {
        secretKey = await options.getKey();
      } catch (err) {
        // The message says where the key should be, never what it is.
        logger.error('cannot load the PII key; failing the whole batch', { reason: (err as Error).message });
        throw err;
      }

      const tally: Tally = { processed: new Map(), applied: 0, duplicate: 0, stale: 0, failed: 0 };
      const fail = (record: RecordContext, err: unknown) => {
        tally.failed += 1;
        const error = err as Error;
        logger.error(error instanceof MalformedRecordError ? 'record malformed' : 'record failed', {
          record,
          reason: error.message,
          errorName: error.name,
        });
      };

      // Parsed and projected once, before any write, in batch order: a
      // malformed record fails here and is never part of a transaction.
      const prepared: ({ record: PreparedRecord } | { error: unknown })[] = event.Records.map(
        (record, index) => {
          try {
            return { record: prepareRecord(record, index, domain, secretKey) };
          } catch (error) {
            // Not parsed: whatever identifiers the raw record has.
            fail(recordContext(record, domain.itemKey), error);
            return { error };
          }
        },
      );
      // Powertools hands its record handler the record, not its position, in
      // batch order; one object may occur more than once (a duplicate).
      const positions = new Map<DynamoDBRecord, number[]>();
      event.Records.forEach((record, index) => {
        positions.set(record, [...(positions.get(record) ?? []), index]);
      });

      const { sink, roundTrips } = countingSink(ddb());
      const outcomes = new Map<PreparedRecord, Promise<RecordResult>>();
      const settlers = new Map<PreparedRecord, (result: RecordResult) => void>();
      const good = prepared.flatMap((entry) => ('record' in entry ? [entry.record] : []));
      for (const record of good) {
        outcomes.set(record, new Promise((resolve) => settlers.set(record, resolve)));
      }
      const onResult = (record: PreparedRecord, result: RecordResult) => {
        if (!settlers.has(record)) return;
        const logContext = changeContext(record.change, record.key);
        if ('error' in result) fail(logContext, result.error);
        else {
          tally[result.outcome] += 1;
          const { eventName, approximateCreationDateTime } = record.change;
          tally.processed.set(eventName, (tally.processed.get(eventName) ?? 0) + 1);
          if (approximateCreationDateTime !== undefined) {
            const lag = Math.max(0, now() - approximateCreationDateTime * 1000);
            metrics.addMetric('ProcessingLag', MetricUnit.Milliseconds, lag);
          }
          logger.info(`record ${result.outcome}`, {
            record: logContext,
            outcome: result.outcome,
            attempts: result.attempts,
          });
        }
        settlers.get(record)?.(result);
        settlers.delete(record);
      };
      const applying = applyBatch(
        good,
        {
          ddb: sink,
          tableName,
          domain,
          maxActions: groupSize,
          maxAttempts: options.maxAttempts,
          concurrency: options.concurrency,
        },
        onResult,
      ).catch((error: unknown) => {
        // Not a record's failure (those are results): fail whatever is left, each alone.
        for (const record of good) onResult(record, { error });
      });

      // Powertools reports every record whose handler threw in batchItemFailures,
      // by sequence number; the event source mapping retries from the lowest.
      const response = await processPartialResponse(
        event,
        async (record: DynamoDBRecord) => {
          const entry = prepared[positions.get(record)?.shift() ?? -1];
          if (!entry) throw new Error('record not prepared: this is a bug');
          if ('error' in entry) throw entry.error;
          const result = await outcomes.get(entry.record);
          if (!result) throw new Error('record not applied: this is a bug');
          if ('error' in result) throw result.error;
          return result.outcome;
        },
        new BatchProcessor(EventType.DynamoDBStreams),
        { ...(context ? { context } : {}), throwOnFullBatchFailure: false, processInParallel: true },
      );
      await applying;

      for (const [eventName, count] of tally.processed) {
        const single = metrics.singleMetric();
        single.addDimension('eventName', eventName);
        single.addMetric('RecordsProcessed', MetricUnit.Count, count);
      }
      metrics.addMetric('RecordsFailed', MetricUnit.Count, tally.failed);
      metrics.addMetric('RecordsSkippedStale', MetricUnit.Count, tally.stale + tally.duplicate);
      metrics.addMetric('SinkRoundTrips', MetricUnit.Count, roundTrips());
      logger.info('batch done', {
        records: event.Records.length,
        applied: tally.applied,
        duplicate: tally.duplicate,
        stale: tally.stale,
        failed: tally.failed,
        batchItemFailures: response.batchItemFailures.length,
        sinkRoundTrips: roundTrips(),
        groupSize,
      });
      return response;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
