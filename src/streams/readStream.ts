import { sleep } from '../util/sleep.js';
import { type Clock, systemClock } from '../util/time.js';
import { ShardDiscovery } from './discovery.js';
import type { ShardStart } from './recovery.js';
import {
  type RecoveryInfo,
  ShardGoneError,
  type ShardPage,
  ShardReader,
  type ThrottleSettings,
  type TrimmedInfo,
} from './shardReader.js';
import type { ShardInfo, StreamsClient } from './shards.js';
import { compareSequenceNumbers, regionOfArn, type WireRecord } from './wire.js';

/** Where `readStream` starts on the shards that exist when it begins. */
export type StreamStart =
  | { type: 'trim-horizon' }
  | { type: 'latest' }
  /** Records created at or after this time (epoch ms, whole-minute precision). */
  | { type: 'time'; time: number }
  /** Records with this sequence number and later ones. */
  | { type: 'sequence'; sequenceNumber: string };

export interface ReadStreamOptions {
  client: StreamsClient;
  streamArn: string;
  /** `awsRegion` of the records; default: the ARN's region, or the client's for DynamoDB Local. */
  region?: string | undefined;
  from: StreamStart;
  /** true: keep polling for new records and shards; false: stop at the end of the open shards. */
  follow: boolean;
  /** GetRecords `Limit` (1 to 1000; default 1000). */
  pageSize?: number | undefined;
  /** Ending the iteration early: the iterable then finishes without error. */
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
  /** Wait after a page that was not full, per shard (default 250 ms: 4 polls a second when idle). */
  pollIntervalMs?: number | undefined;
  /** How often `follow` looks for new shards besides when a shard ends (default 10 s). */
  describeIntervalMs?: number | undefined;
  throttle?: Partial<ThrottleSettings> | undefined;
  random?: (() => number) | undefined;
  /** Every GetRecords result, empty ones included (for progress and metrics). */
  onPage?: ((page: ShardPage) => void) | undefined;
  onTrimmed?: ((info: TrimmedInfo) => void) | undefined;
  onRecover?: ((info: RecoveryInfo) => void) | undefined;
}

/** Non-empty pages as `readStream` yields them. */
export interface StreamPage {
  shardId: string;
  records: WireRecord[];
}

/** The `awsRegion` to report for a stream when none is given. */
export async function resolveRegion(client: StreamsClient, streamArn: string): Promise<string> {
  const fromArn = regionOfArn(streamArn);
  if (fromArn && fromArn !== 'ddblocal') return fromArn;
  const configured = (client as { config?: { region?: unknown } }).config?.region;
  const region = typeof configured === 'function' ? await configured() : configured;
  return typeof region === 'string' && region ? region : 'us-east-1';
}

function startFor(from: StreamStart, shard: ShardInfo): ShardStart | 'skip' {
  switch (from.type) {
    case 'trim-horizon':
      return { type: 'TRIM_HORIZON' };
    case 'latest':
      return shard.endingSequenceNumber ? 'skip' : { type: 'LATEST' };
    case 'time':
      return { type: 'AT_TIME', time: from.time };
    case 'sequence': {
      const seq = from.sequenceNumber;
      const end = shard.endingSequenceNumber;
      if (end && compareSequenceNumbers(end, seq) < 0) return 'skip';
      const begin = shard.startingSequenceNumber;
      if (begin && compareSequenceNumbers(begin, seq) > 0) return { type: 'TRIM_HORIZON' };
      return { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: seq };
    }
  }
}

interface ActiveShard {
  reader: ShardReader;
  dueAt: number;
}

/**
 * The records of a whole stream, shard by shard in lineage order (parents
 * drained before children), one GetRecords in flight at a time. `from`
 * applies to the shards that exist at the start; shards found later are read
 * from their beginning. Without `follow` it stops once every open shard has
 * returned an empty page and every closed one is drained.
 */
export async function* readStream(options: ReadStreamOptions): AsyncGenerator<StreamPage, void, undefined> {
  const { client, streamArn, signal, follow } = options;
  const clock = options.clock ?? systemClock;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const describeIntervalMs = options.describeIntervalMs ?? 10_000;
  const region = options.region ?? (await resolveRegion(client, streamArn));
  const discovery = new ShardDiscovery(client, streamArn, signal);
  const active = new Map<string, ActiveShard>();
  let initialIds: Set<string> | undefined;
  let nextDescribeAt = 0;

  const refresh = async (): Promise<void> => {
    const shards = await discovery.refresh();
    initialIds ??= new Set(shards.map((s) => s.shardId));
    const initial = initialIds;
    nextDescribeAt = clock.now() + describeIntervalMs;
    discovery.takeReady((shard) => {
      const start = initial.has(shard.shardId)
        ? startFor(options.from, shard)
        : { type: 'TRIM_HORIZON' as const };
      if (start === 'skip') {
        discovery.finish(shard.shardId);
        return;
      }
      const reader = new ShardReader({
        client,
        streamArn,
        shardId: shard.shardId,
        region,
        start,
        ...(options.pageSize ? { pageSize: options.pageSize } : {}),
        clock,
        signal,
        ...(options.throttle ? { throttle: options.throttle } : {}),
        ...(options.random ? { random: options.random } : {}),
        onTrimmed: options.onTrimmed,
        onRecover: options.onRecover,
        isShardClosed: (id) => discovery.isClosed(id),
      });
      active.set(shard.shardId, { reader, dueAt: clock.now() });
    });
  };

  try {
    await refresh();
    for (;;) {
      if (signal?.aborted) return;
      if (active.size === 0) {
        if (!follow) return;
        await sleep(clock, Math.max(0, nextDescribeAt - clock.now()), signal);
        await refresh();
        continue;
      }
      let due: [string, ActiveShard] | undefined;
      for (const entry of active) if (!due || entry[1].dueAt < due[1].dueAt) due = entry;
      if (!due) continue;
      const [shardId, shard] = due;
      const wakeAt = follow ? Math.min(shard.dueAt, nextDescribeAt) : shard.dueAt;
      const wait = wakeAt - clock.now();
      if (wait > 0) await sleep(clock, wait, signal);
      if (follow && clock.now() >= nextDescribeAt) {
        await refresh();
        continue;
      }
      if (clock.now() < shard.dueAt) continue;

      let page: ShardPage;
      try {
        page = await shard.reader.next();
      } catch (err) {
        if (!(err instanceof ShardGoneError)) throw err;
        active.delete(shardId);
        discovery.finish(shardId);
        await refresh();
        continue;
      }
      options.onPage?.(page);
      if (page.records.length > 0) yield { shardId, records: page.records };
      if (page.ended) {
        active.delete(shardId);
        discovery.finish(shardId);
        await refresh();
      } else if (!follow && page.fetched === 0) {
        active.delete(shardId);
      } else {
        shard.dueAt = page.full ? clock.now() : clock.now() + pollIntervalMs;
      }
    }
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  }
}
