/**
 * The ingestion Lambda: DynamoDB Streams (orders) -> sink table (order items
 * and customer aggregates). Deployed as a self-contained bundle, so nothing
 * here may import from the CLI (`src/`).
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createOrdersDomain } from './domain/orders.js';
import type { SinkClient } from './pipeline/apply.js';
import type { DomainModel } from './pipeline/domain.js';
import { createStreamHandler, type StreamHandler } from './pipeline/handler.js';
import { type KeySource, keySourceFromEnv } from './pipeline/secretKey.js';

export interface HandlerDependencies {
  /** Sink client; default: one DynamoDBClient with the SDK's default configuration, created on first use. */
  ddb?: SinkClient | (() => SinkClient);
  /** Secret key source; default: `PII_KEY_PARAMETER` (SSM) or `PII_KEY_FILE`, loaded once per container. */
  getKey?: KeySource;
  /**
   * Default: the orders domain, its source table keyed by env `SOURCE_HASH_KEY`
   * (the stack's `source_table.hash_key`; unset: `orderId`).
   */
  domain?: DomainModel;
  /** Default: a Powertools Logger configured by the POWERTOOLS_* variables. */
  logger?: Logger;
  /** Default: Powertools Metrics (EMF) configured by the POWERTOOLS_* variables. */
  metrics?: Metrics;
  /** Default: env `SINK_TABLE_NAME`. */
  tableName?: string;
  /** Reads of an item before its record fails under concurrent writers (default 5). */
  maxAttempts?: number;
  /** Actions per transaction, 1 to 100 (default: env `SINK_GROUP_SIZE`, else 100). */
  groupSize?: number;
  /** Transactions in flight at once within a batch (default 16). */
  concurrency?: number;
  /** Epoch ms clock for the lag metric (default Date.now). */
  now?: () => number;
}

export function createHandler(deps: HandlerDependencies = {}): StreamHandler {
  return createStreamHandler({
    ddb: deps.ddb ?? (() => new DynamoDBClient({})),
    getKey: deps.getKey ?? keySourceFromEnv(),
    domain: deps.domain ?? createOrdersDomain(process.env.SOURCE_HASH_KEY || undefined),
    logger: deps.logger ?? new Logger(),
    metrics: deps.metrics ?? new Metrics(),
    ...(deps.tableName ? { tableName: deps.tableName } : {}),
    ...(deps.maxAttempts ? { maxAttempts: deps.maxAttempts } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    groupSize: deps.groupSize,
    concurrency: deps.concurrency,
  });
}

export const handler: StreamHandler = createHandler();
