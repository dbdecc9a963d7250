/**
 * The stream's tip: the greatest sequence number in the stream when it is
 * read. `verify --repair` writes it as the guard of a repaired item, so that
 * no record older than the repair's read of the source can pass the handler's
 * sequence guard, while every change made after that read (a greater
 * sequence number) still applies.
 *
 * Taken before the source is read, it is a bound for every change the read
 * can reflect. A closed shard's tip is its EndingSequenceNumber; an open
 * shard is read from its oldest record to its end (the stream API has no
 * cheaper way to learn its last sequence number; 1,000 records a call).
 * Shards of one stream are compared by sequence number: DynamoDB numbers a
 * stream's records in the order they are published, child shards after their
 * parents, and DynamoDB Local numbers all of them from one counter.
 */
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { describeShards, type StreamsClient } from '../streams/shards.js';

const maxOf = (a: bigint | undefined, b: bigint | undefined) =>
  a === undefined ? b : b === undefined ? a : a > b ? a : b;

/** The greatest sequence number in the stream now; undefined for a stream without records. */
export async function streamTip(client: StreamsClient, streamArn: string): Promise<bigint | undefined> {
  const { shards } = await describeShards(client, streamArn);
  let tip: bigint | undefined;
  for (const shard of shards) {
    if (shard.endingSequenceNumber) {
      tip = maxOf(tip, BigInt(shard.endingSequenceNumber));
      continue;
    }
    const start = await client.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = start.ShardIterator;
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const records = page.Records ?? [];
      const last = records[records.length - 1]?.dynamodb?.SequenceNumber;
      if (last) tip = maxOf(tip, BigInt(last));
      // An open shard's end: an empty page (its iterator stays valid for new records).
      if (records.length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return tip;
}
