import type { Clock } from '../util/time.js';
import { resolveRegion } from './readStream.js';
import { ShardReader } from './shardReader.js';
import type { StreamsClient } from './shards.js';
import { compareSequenceNumbers, type WireRecord } from './wire.js';

export interface SequenceRange {
  client: StreamsClient;
  streamArn: string;
  shardId: string;
  /** First sequence number of the range (inclusive). */
  start: string;
  /** Last sequence number of the range (inclusive). */
  end: string;
  region?: string | undefined;
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
}

/**
 * The records of one shard from `start` to `end`, both included: how an
 * on-failure message (which holds no record data) is turned back into its
 * batch. Returns fewer records when the stream has trimmed some; stops at the
 * end of the shard's data if `end` was never written.
 */
export async function readSequenceRange(range: SequenceRange): Promise<WireRecord[]> {
  const reader = new ShardReader({
    client: range.client,
    streamArn: range.streamArn,
    shardId: range.shardId,
    region: range.region ?? (await resolveRegion(range.client, range.streamArn)),
    start: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: range.start },
    signal: range.signal,
    clock: range.clock,
  });
  const out: WireRecord[] = [];
  for (;;) {
    const page = await reader.next();
    for (const record of page.records) {
      if (compareSequenceNumbers(record.dynamodb.SequenceNumber, range.end) > 0) return out;
      if (compareSequenceNumbers(record.dynamodb.SequenceNumber, range.start) >= 0) out.push(record);
    }
    if (page.ended || page.fetched === 0) return out;
  }
}
