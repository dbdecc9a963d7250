import {
  DescribeStreamCommand,
  type DescribeStreamCommandOutput,
  type DynamoDBStreamsClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb-streams';
import { StreamsError } from './errors.js';

/** What DescribeStream says about one shard. */
export interface ShardInfo {
  shardId: string;
  parentShardId?: string;
  startingSequenceNumber?: string;
  /** Set once the shard is closed: it takes no new records. */
  endingSequenceNumber?: string;
}

export interface StreamShards {
  streamStatus?: string;
  streamViewType?: string;
  shards: ShardInfo[];
}

/** The client surface the stream reader needs; a real DynamoDBStreamsClient fits. */
export type StreamsClient = Pick<DynamoDBStreamsClient, 'send'>;

/**
 * Every shard of the stream: DescribeStream returns at most 100 per call, so it
 * follows LastEvaluatedShardId with ExclusiveStartShardId until the end.
 */
export async function describeShards(
  client: StreamsClient,
  streamArn: string,
  signal?: AbortSignal,
): Promise<StreamShards> {
  const shards: ShardInfo[] = [];
  let exclusiveStartShardId: string | undefined;
  let streamStatus: string | undefined;
  let streamViewType: string | undefined;
  do {
    let out: DescribeStreamCommandOutput;
    try {
      out = await client.send(
        new DescribeStreamCommand({
          StreamArn: streamArn,
          ...(exclusiveStartShardId ? { ExclusiveStartShardId: exclusiveStartShardId } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (err) {
      if (err instanceof ResourceNotFoundException || (err as Error).name === 'ResourceNotFoundException') {
        throw new StreamsError('streams.stream-not-found', `Stream ${streamArn} was not found.`, {
          cause: err,
          details: { streamArn },
        });
      }
      throw err;
    }
    const desc = out.StreamDescription;
    streamStatus = desc?.StreamStatus ?? streamStatus;
    streamViewType = desc?.StreamViewType ?? streamViewType;
    for (const shard of desc?.Shards ?? []) {
      if (!shard.ShardId) continue;
      shards.push({
        shardId: shard.ShardId,
        ...(shard.ParentShardId ? { parentShardId: shard.ParentShardId } : {}),
        ...(shard.SequenceNumberRange?.StartingSequenceNumber
          ? { startingSequenceNumber: shard.SequenceNumberRange.StartingSequenceNumber }
          : {}),
        ...(shard.SequenceNumberRange?.EndingSequenceNumber
          ? { endingSequenceNumber: shard.SequenceNumberRange.EndingSequenceNumber }
          : {}),
      });
    }
    exclusiveStartShardId = desc?.LastEvaluatedShardId;
  } while (exclusiveStartShardId);
  return {
    ...(streamStatus ? { streamStatus } : {}),
    ...(streamViewType ? { streamViewType } : {}),
    shards,
  };
}

/**
 * Remembers every shard seen and which ones are finished, and hands out the
 * shards that may be read now: a child only once its parent is finished, so a
 * key's changes come out in order across a shard split. A parent that was
 * never listed (trimmed after 24 h) does not hold its child back.
 */
export class ShardLineage {
  private readonly known = new Map<string, ShardInfo>();
  private readonly finished = new Set<string>();
  private readonly started = new Set<string>();

  /** Adds shards from a DescribeStream; returns those not seen before. */
  update(shards: readonly ShardInfo[]): ShardInfo[] {
    const added: ShardInfo[] = [];
    for (const shard of shards) {
      const before = this.known.get(shard.shardId);
      if (!before) added.push(shard);
      // Keep what we knew if a later listing omits it, but learn that it closed.
      this.known.set(shard.shardId, { ...before, ...shard });
    }
    return added;
  }

  get(shardId: string): ShardInfo | undefined {
    return this.known.get(shardId);
  }

  /** The shard was drained to its end (or skipped): its children may start. */
  finish(shardId: string): void {
    this.finished.add(shardId);
    this.started.add(shardId);
  }

  isFinished(shardId: string): boolean {
    return this.finished.has(shardId);
  }

  /**
   * Shards not yet handed out whose parent is finished or unknown, parents
   * first; each shard is handed out once.
   */
  takeReady(): ShardInfo[] {
    const ready: ShardInfo[] = [];
    for (const shard of this.known.values()) {
      if (this.started.has(shard.shardId)) continue;
      const parent = shard.parentShardId;
      if (parent && this.known.has(parent) && !this.finished.has(parent)) continue;
      ready.push(shard);
    }
    for (const shard of ready) this.started.add(shard.shardId);
    return ready;
  }

  /** True when every known shard is finished. */
  allFinished(): boolean {
    for (const id of this.known.keys()) if (!this.finished.has(id)) return false;
    return true;
  }
}
