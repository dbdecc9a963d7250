import { describeShards, type ShardInfo, ShardLineage, type StreamsClient } from './shards.js';

/**
 * True when DescribeStream says the shard takes no more records: closed
 * (it has an EndingSequenceNumber) or gone from the listing (trimmed).
 */
export async function isShardClosed(
  client: StreamsClient,
  streamArn: string,
  shardId: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const { shards } = await describeShards(client, streamArn, signal);
  return closedIn(shards, shardId);
}

function closedIn(shards: readonly ShardInfo[], shardId: string): boolean {
  const shard = shards.find((s) => s.shardId === shardId);
  return !shard || shard.endingSequenceNumber !== undefined;
}

/**
 * The one shard discovery of the stream readers (`tail`, `replay`) and the
 * event source mapping: DescribeStream, the lineage of what it listed, and
 * the shards ready to be read (a child only once its parent is finished).
 */
export class ShardDiscovery {
  private readonly lineage = new ShardLineage();

  constructor(
    private readonly client: StreamsClient,
    private readonly streamArn: string,
    private readonly signal?: AbortSignal,
  ) {}

  /** Lists the stream again and learns new shards and closed ones. */
  async refresh(): Promise<ShardInfo[]> {
    const { shards } = await describeShards(this.client, this.streamArn, this.signal);
    this.lineage.update(shards);
    return shards;
  }

  /**
   * Each shard that may be read now, once, parents first. `onReady` may
   * finish a shard (skipped, or finished in an earlier run), which can make
   * its children ready in the same call.
   */
  takeReady(onReady: (shard: ShardInfo) => void): void {
    for (let ready = this.lineage.takeReady(); ready.length > 0; ready = this.lineage.takeReady()) {
      for (const shard of ready) onReady(shard);
    }
  }

  /** The shard was drained to its end (or skipped): its children may start. */
  finish(shardId: string): void {
    this.lineage.finish(shardId);
  }

  /** Known closed without asking, else as a new listing says. */
  async isClosed(shardId: string): Promise<boolean> {
    if (this.lineage.get(shardId)?.endingSequenceNumber !== undefined) return true;
    return closedIn(await this.refresh(), shardId);
  }
}
