import { GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { Clock } from '../util/time.js';
import { StreamsError } from './errors.js';
import { readStream, type StreamStart } from './readStream.js';
import type { RecoveryInfo, TrimmedInfo } from './shardReader.js';
import { describeShards, type StreamsClient } from './shards.js';
import {
  compareSequenceNumbers,
  type EventName,
  TTL_USER_IDENTITY,
  type WireAttributeValue,
  type WireImage,
  type WireRecord,
} from './wire.js';

/** What `tail` was asked for, validated. */
export interface TailOptions {
  from: StreamStart;
  /** false: stop at the end of the open shards. */
  follow: boolean;
  /** Stop after this many (matching) records. */
  limit?: number;
  /** Only these event names; undefined = all. */
  events?: EventName[];
}

export interface TailRun {
  client: StreamsClient;
  streamArn: string;
  /** `awsRegion` of the records (see ReadStreamOptions.region). */
  region?: string | undefined;
  options: TailOptions;
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
  pollIntervalMs?: number | undefined;
  pageSize?: number | undefined;
  onTrimmed?: ((info: TrimmedInfo) => void) | undefined;
  onRecover?: ((info: RecoveryInfo) => void) | undefined;
}

/**
 * A sequence number to start from must be one the stream holds: a shard must
 * give an iterator at it. A shard that refuses it (a number of another shard,
 * trimmed, past the newest record, or made up) answers ValidationException on
 * AWS and InternalFailure on DynamoDB Local.
 */
export async function checkSequenceInStream(
  client: StreamsClient,
  streamArn: string,
  sequenceNumber: string,
  signal?: AbortSignal,
): Promise<void> {
  const { shards } = await describeShards(client, streamArn, signal);
  const candidates = shards.filter(
    (s) =>
      s.startingSequenceNumber !== undefined &&
      compareSequenceNumbers(sequenceNumber, s.startingSequenceNumber) >= 0 &&
      (s.endingSequenceNumber === undefined ||
        compareSequenceNumbers(sequenceNumber, s.endingSequenceNumber) <= 0),
  );
  for (const shard of candidates) {
    try {
      await client.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.shardId,
          ShardIteratorType: 'AT_SEQUENCE_NUMBER',
          SequenceNumber: sequenceNumber,
        }),
        signal ? { abortSignal: signal } : {},
      );
      return;
    } catch (err) {
      if (!REFUSED_SEQUENCE.has((err as Error).name)) throw err;
    }
  }
  const oldest = shards
    .flatMap((s) => (s.startingSequenceNumber ? [s.startingSequenceNumber] : []))
    .sort(compareSequenceNumbers)[0];
  throw new StreamsError(
    'streams.sequence-not-in-stream',
    `The stream holds no record with sequence number ${sequenceNumber}${oldest ? ` (its oldest shard starts at ${oldest})` : ' (it has no shards)'}.`,
    { details: { sequenceNumber, streamArn, ...(oldest ? { oldest } : {}) } },
  );
}

const REFUSED_SEQUENCE = new Set(['ValidationException', 'InternalFailure', 'TrimmedDataAccessException']);

/** The stream's records in Lambda's wire shape, filtered and limited as asked. */
export async function* tail(run: TailRun): AsyncGenerator<WireRecord, void, undefined> {
  const { options } = run;
  if (options.from.type === 'sequence') {
    await checkSequenceInStream(run.client, run.streamArn, options.from.sequenceNumber, run.signal);
  }
  const controller = new AbortController();
  const onAbort = () => controller.abort(run.signal?.reason);
  run.signal?.addEventListener('abort', onAbort, { once: true });
  if (run.signal?.aborted) controller.abort(run.signal.reason);
  let count = 0;
  try {
    if (options.limit !== undefined && options.limit <= 0) return;
    for await (const page of readStream({
      client: run.client,
      streamArn: run.streamArn,
      from: options.from,
      follow: options.follow,
      signal: controller.signal,
      ...(run.region ? { region: run.region } : {}),
      clock: run.clock,
      pollIntervalMs: run.pollIntervalMs,
      ...(run.pageSize ? { pageSize: run.pageSize } : {}),
      onTrimmed: run.onTrimmed,
      onRecover: run.onRecover,
    })) {
      for (const record of page.records) {
        if (options.events && !options.events.includes(record.eventName)) continue;
        yield record;
        count += 1;
        if (options.limit !== undefined && count >= options.limit) return;
      }
    }
  } finally {
    run.signal?.removeEventListener('abort', onAbort);
  }
}

/** One changed attribute of a MODIFY; a missing side means added or removed. */
export interface AttributeChange {
  name: string;
  old?: string;
  new?: string;
}

/** The parts of one human-readable tail line; the CLI adds colours. */
export interface ChangeLine {
  /** ISO time from ApproximateCreationDateTime (empty when the record has none). */
  time: string;
  event: EventName;
  /** `orderId=o-1` (several keys joined with ", "). */
  key: string;
  sequenceNumber: string;
  /** MODIFY: attributes whose value changed, sorted by name. */
  changes: AttributeChange[];
  /** INSERT/REMOVE: the item's attributes in short form (`a=1 b="x"`), when the image is there. */
  summary?: string;
  /**
   * `(TTL)` on a REMOVE made by DynamoDB's Time to Live (its userIdentity is
   * the DynamoDB service), not by a caller; absent otherwise.
   */
  mark?: typeof TTL_MARK;
  /** The whole line without colours. */
  text: string;
}

const MAX_VALUE_CHARS = 60;

function plain(value: WireAttributeValue): unknown {
  if ('S' in value) return value.S;
  if ('N' in value) return Number(value.N);
  if ('B' in value) return `b64:${value.B}`;
  if ('SS' in value) return value.SS;
  if ('NS' in value) return value.NS.map(Number);
  if ('BS' in value) return value.BS.map((b) => `b64:${b}`);
  if ('M' in value) return Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, plain(v)]));
  if ('L' in value) return value.L.map(plain);
  if ('NULL' in value) return null;
  return value.BOOL;
}

/** A value in short form: numbers bare, strings quoted, long ones cut with an ellipsis. */
export function formatValue(value: WireAttributeValue): string {
  const text = 'N' in value ? value.N : JSON.stringify(plain(value));
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function keyText(keys: WireImage): string {
  return Object.entries(keys)
    .map(([name, value]) => `${name}=${'S' in value ? value.S : formatValue(value)}`)
    .join(', ');
}

function diff(oldImage: WireImage, newImage: WireImage): AttributeChange[] {
  const names = [...new Set([...Object.keys(oldImage), ...Object.keys(newImage)])].sort();
  const changes: AttributeChange[] = [];
  for (const name of names) {
    const before = oldImage[name];
    const after = newImage[name];
    const oldText = before ? formatValue(before) : undefined;
    const newText = after ? formatValue(after) : undefined;
    if (before && after && JSON.stringify(before) === JSON.stringify(after)) continue;
    changes.push({
      name,
      ...(oldText !== undefined ? { old: oldText } : {}),
      ...(newText !== undefined ? { new: newText } : {}),
    });
  }
  return changes;
}

/** How a human line marks a TTL delete. */
export const TTL_MARK = '(TTL)' as const;

function isTtlDelete(record: WireRecord): boolean {
  return (
    record.eventName === 'REMOVE' &&
    record.userIdentity?.type === TTL_USER_IDENTITY.type &&
    record.userIdentity.principalId === TTL_USER_IDENTITY.principalId
  );
}

/** The data of a compact human line for one record (no colours: the CLI adds them). */
export function formatChange(record: WireRecord): ChangeLine {
  const ddb = record.dynamodb;
  const created = ddb.ApproximateCreationDateTime;
  const time = created !== undefined ? new Date(created * 1000).toISOString() : '';
  const key = keyText(ddb.Keys);
  let changes: AttributeChange[] = [];
  let summary: string | undefined;
  let detail = '';
  if (record.eventName === 'MODIFY' && ddb.OldImage && ddb.NewImage) {
    changes = diff(ddb.OldImage, ddb.NewImage);
    detail = changes.map((c) => `${c.name}: ${c.old ?? '(none)'} -> ${c.new ?? '(removed)'}`).join('  ');
  } else {
    const image = record.eventName === 'REMOVE' ? ddb.OldImage : ddb.NewImage;
    if (image) {
      summary = Object.entries(image)
        .filter(([name]) => !(name in ddb.Keys))
        .map(([name, value]) => `${name}=${formatValue(value)}`)
        .join(' ');
      detail = summary;
    }
  }
  const mark = isTtlDelete(record) ? TTL_MARK : undefined;
  const text = [time, record.eventName.padEnd(6), mark ?? '', key, detail]
    .filter((part) => part !== '')
    .join('  ');
  return {
    time,
    event: record.eventName,
    ...(mark !== undefined ? { mark } : {}),
    key,
    sequenceNumber: ddb.SequenceNumber,
    changes,
    ...(summary !== undefined ? { summary } : {}),
    text,
  };
}
