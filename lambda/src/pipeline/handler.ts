/**
 * Stream plumbing: turns a DynamoDB Streams batch into idempotent sink writes
 * with a partial batch response, structured logs and EMF metrics. It knows
 * nothing about orders: the business rules come in as a DomainModel.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type ApplyOutcome, applyChange, type SinkClient } from './apply.js';
import { type DomainModel, MalformedRecordError } from './domain.js';
import { parseStreamRecord, recordContext } from './records.js';
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
      const recordHandler = async (record: DynamoDBRecord): Promise<ApplyOutcome> => {
        const where = recordContext(record, domain.itemKey);
        try {
          const change = parseStreamRecord(record);
          const result = await applyChange(
            {
              ddb: ddb(),
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
            record: where,
            outcome: result.outcome,
            attempts: result.attempts,
          });
          return result.outcome;
        } catch (err) {
          tally.failed += 1;
          const error = err as Error;
          logger.error(error instanceof MalformedRecordError ? 'record malformed' : 'record failed', {
            record: where,
            reason: error.message,
            errorName: error.name,
          });
          throw err;
        }
      };

      // In order, one at a time: the stream's per-key order then usually holds
      // and later records of a key do not race earlier ones to the same item.
      const response = await processPartialResponse(
        event,
        recordHandler,
        new BatchProcessor(EventType.DynamoDBStreams),
        {
          ...(context ? { context } : {}),
          processInParallel: false,
          // A batch whose records all failed is still reported per record, so
          // the event source mapping sees the same shape whatever fails.
          throwOnFullBatchFailure: false,
        },
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
