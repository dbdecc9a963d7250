import type { StreamStart } from '../streams/readStream.js';
import type { StreamsClient } from '../streams/shards.js';
import { tail } from '../streams/tail.js';
import type { WireRecord } from '../streams/wire.js';
import type { Clock } from '../util/time.js';

export interface StreamReplaySource {
  client: StreamsClient;
  streamArn: string;
  /**
   * Records created at or after this time (epoch ms); undefined = everything
   * the stream still holds. DynamoDB Local keeps creation times to the minute,
   * so up to a minute more may come back: replaying them is harmless.
   */
  since?: number | undefined;
  /** `awsRegion` written into the records. */
  region?: string | undefined;
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
  /** Wait between polls of an empty shard, in ms. */
  pollIntervalMs?: number | undefined;
}

/** Every record the stream holds from `since` to now, in lineage order (no following). */
export async function recordsFromStream(source: StreamReplaySource): Promise<WireRecord[]> {
  const from: StreamStart =
    source.since !== undefined ? { type: 'time', time: source.since } : { type: 'trim-horizon' };
  const records: WireRecord[] = [];
  for await (const record of tail({
    client: source.client,
    streamArn: source.streamArn,
    options: { from, follow: false },
    ...(source.region ? { region: source.region } : {}),
    signal: source.signal,
    clock: source.clock,
    pollIntervalMs: source.pollIntervalMs,
  })) {
    records.push(record);
  }
  return records;
}
