import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { orderPk } from '../../../../lambda/src/domain/orders.js';
import { SEQUENCE_ATTRIBUTE } from '../../../../lambda/src/pipeline/apply.js';
import { type BatchOutcome, remoteInvoker } from '../../../replay/invoke.js';
import { readStream } from '../../../streams/readStream.js';
import type { StreamsClient } from '../../../streams/shards.js';
import { compareSequenceNumbers, type WireRecord } from '../../../streams/wire.js';
import type { Clock } from '../../../util/time.js';
import type { LambdaApi } from './deployment.js';
import { CanaryError } from './errors.js';

/**
 * The pre-traffic check: before any traffic moves, the new version gets the
 * last records the pipeline already applied, read back from the stream. The
 * built-in handler's sequence guard makes them no-ops on the sink (each is a
 * duplicate or stale), so a healthy version answers with no failures and
 * changes nothing; a function error or a reported batch item failure means it
 * would fail live batches too.
 */

/** How many of the stream's newest records are kept while reading (the applied ones are picked from these). */
const CANDIDATES = 100;

/** The newest `limit` records of the stream, oldest first (reads to the end of the open shards). */
export async function newestRecords(options: {
  streams: StreamsClient;
  streamArn: string;
  limit: number;
  region?: string | undefined;
  clock?: Clock | undefined;
  signal?: AbortSignal | undefined;
}): Promise<WireRecord[]> {
  const kept: WireRecord[] = [];
  for await (const page of readStream({
    client: options.streams,
    streamArn: options.streamArn,
    from: { type: 'trim-horizon' },
    follow: false,
    pollIntervalMs: 0,
    ...(options.region ? { region: options.region } : {}),
    clock: options.clock,
    signal: options.signal,
  })) {
    kept.push(...page.records);
    if (kept.length > options.limit * 2) kept.splice(0, kept.length - options.limit);
  }
  // Shards are read parents first, but siblings interleave: order by sequence number.
  kept.sort((a, b) => compareSequenceNumbers(a.dynamodb.SequenceNumber, b.dynamodb.SequenceNumber));
  return kept.slice(-options.limit);
}

/** Picks, from records in stream order, the ones the pipeline has applied. */
export type AppliedFilter = (records: WireRecord[]) => Promise<WireRecord[]>;

/**
 * For the built-in handler: a record is applied when its order's sink item
 * holds its sequence number or a later one (one consistent BatchGetItem).
 */
export function appliedBySinkSequence(options: {
  dynamodb: Pick<DynamoDBClient, 'send'>;
  sinkTable: string;
  /** The source table's hash key (the order id). */
  hashKey: string;
  signal?: AbortSignal | undefined;
}): AppliedFilter {
  return async (records) => {
    const pkOf = (r: WireRecord) => {
      const id = r.dynamodb.Keys?.[options.hashKey];
      return id && 'S' in id ? orderPk(id.S) : undefined;
    };
    const pks = [...new Set(records.map(pkOf).filter((pk): pk is string => pk !== undefined))];
    const held = new Map<string, string>();
    for (let i = 0; i < pks.length; i += 100) {
      let request: Record<
        string,
        {
          Keys: { pk: { S: string } }[];
          ConsistentRead: boolean;
          ProjectionExpression: string;
          ExpressionAttributeNames: Record<string, string>;
        }
      > = {
        [options.sinkTable]: {
          Keys: pks.slice(i, i + 100).map((pk) => ({ pk: { S: pk } })),
          ConsistentRead: true,
          ProjectionExpression: '#pk, #seq',
          ExpressionAttributeNames: { '#pk': 'pk', '#seq': SEQUENCE_ATTRIBUTE },
        },
      };
      // UnprocessedKeys come back under load: ask again for just those.
      for (let attempt = 0; Object.keys(request).length > 0 && attempt < 5; attempt++) {
        const out = await options.dynamodb.send(
          new BatchGetItemCommand({ RequestItems: request }),
          options.signal ? { abortSignal: options.signal } : {},
        );
        for (const item of out.Responses?.[options.sinkTable] ?? []) {
          const pk = item.pk?.S;
          const seq = item[SEQUENCE_ATTRIBUTE]?.S;
          if (pk && seq) held.set(pk, seq);
        }
        request = (out.UnprocessedKeys ?? {}) as typeof request;
      }
    }
    return records.filter((r) => {
      const pk = pkOf(r);
      const seq = pk ? held.get(pk) : undefined;
      return seq !== undefined && compareSequenceNumbers(seq, r.dynamodb.SequenceNumber) >= 0;
    });
  };
}

/**
 * For a handler of your own (opt-in): records older than `minAgeMs`, which a
 * healthy mapping (IteratorAge alarm at 60 s) has applied long since.
 */
export function appliedByAge(now: number, minAgeMs = 5 * 60_000): AppliedFilter {
  return async (records) =>
    records.filter(
      (r) => (r.dynamodb.ApproximateCreationDateTime ?? Number.POSITIVE_INFINITY) * 1000 <= now - minAgeMs,
    );
}

export interface PreTrafficOptions {
  streams: StreamsClient;
  streamArn: string;
  lambda: LambdaApi;
  functionName: string;
  /** The new version: invoked by number, so no alias traffic is involved. */
  version: string;
  /** How many applied records to replay. */
  count: number;
  applied: AppliedFilter;
  region?: string | undefined;
  clock?: Clock | undefined;
  signal?: AbortSignal | undefined;
}

export type PreTrafficResult =
  | { result: 'passed'; version: string; records: number; firstSequence: string; lastSequence: string }
  | { result: 'skipped'; reason: 'stream-empty' | 'nothing-applied-yet' };

/** Runs the check; a failing version throws `canary.pre-traffic-failed` with what it answered. */
export async function preTrafficCheck(options: PreTrafficOptions): Promise<PreTrafficResult> {
  const newest = await newestRecords({
    streams: options.streams,
    streamArn: options.streamArn,
    limit: CANDIDATES,
    ...(options.region ? { region: options.region } : {}),
    clock: options.clock,
    signal: options.signal,
  });
  if (newest.length === 0) return { result: 'skipped', reason: 'stream-empty' };
  const records = (await options.applied(newest)).slice(-options.count);
  const first = records[0];
  const last = records.at(-1);
  if (!first || !last) return { result: 'skipped', reason: 'nothing-applied-yet' };
  const invoker = remoteInvoker({
    client: options.lambda,
    functionName: options.functionName,
    qualifier: options.version,
    signal: options.signal,
  });
  const outcome: BatchOutcome = await invoker.invoke({ Records: records });
  if (!outcome.ok || outcome.batchItemFailures.length > 0) {
    const what = outcome.ok
      ? `reported ${outcome.batchItemFailures.length} of ${records.length} records as failed`
      : `failed (${outcome.functionError}${outcome.errorType ? `: ${outcome.errorType}` : ''}${outcome.errorMessage ? `: ${outcome.errorMessage}` : ''})`;
    throw new CanaryError(
      'canary.pre-traffic-failed',
      `Pre-traffic check: version ${options.version} of ${options.functionName} ${what} on ${records.length} records the pipeline had already applied.`,
      {
        details: {
          version: options.version,
          records: records.length,
          functionError: outcome.functionError,
          errorType: outcome.errorType,
          batchItemFailures: outcome.batchItemFailures,
          logTail: outcome.logTail,
        },
      },
    );
  }
  return {
    result: 'passed',
    version: options.version,
    records: records.length,
    firstSequence: first.dynamodb.SequenceNumber,
    lastSequence: last.dynamodb.SequenceNumber,
  };
}
