import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import { type Clock, systemClock } from '../util/time.js';
import { StreamsError } from './errors.js';
import { describeShards, type ShardInfo, ShardLineage, type StreamsClient } from './shards.js';
import { compareSequenceNumbers, regionOfArn, toWireRecord, type WireRecord } from './wire.js';

/**
 * Where a shard reader starts when it has no checkpoint yet. After the first
 * record it always continues AFTER_SEQUENCE_NUMBER of the last record read.
 */
export type ShardStart =
  | { type: 'TRIM_HORIZON' }
  | { type: 'LATEST' }
  /** Falls back to TRIM_HORIZON skipping lower sequence numbers when the shard refuses the number. */
  | { type: 'AT_SEQUENCE_NUMBER'; sequenceNumber: string }
  /** A checkpoint: the record with this number was already processed. */
  | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string }
  /**
   * TRIM_HORIZON, skipping records created before `time` (epoch ms). Compared by
   * whole minute, because DynamoDB Local rounds ApproximateCreationDateTime
   * down to the minute: a record is never lost, at worst a minute too many shows.
   */
  | { type: 'AT_TIME'; time: number };

export interface TrimmedInfo {
  shardId: string;
  /** The last sequence number read before the data went missing, if any. */
  checkpoint?: string;
  error: Error;
}

export type RecoveryReason =
  | 'expired-iterator'
  | 'invalid-shard-iterator'
  | 'missing-next-iterator'
  | 'trimmed'
  | 'invalid-sequence-number';

export interface RecoveryInfo {
  shardId: string;
  reason: RecoveryReason;
  /** The iterator type taken next, with its sequence number when there is one. */
  from: string;
}

export interface ThrottleSettings {
  /** First delay after a throttling error, in ms (default 100). */
  baseMs: number;
  /** Longest delay, in ms (default 5000). */
  maxMs: number;
}

export interface ShardReaderOptions {
  client: StreamsClient;
  streamArn: string;
  shardId: string;
  /** Region written into each record's `awsRegion`. */
  region: string;
  /** Where to begin without a checkpoint; an AFTER_SEQUENCE_NUMBER start is the checkpoint. */
  start: ShardStart;
  /** GetRecords `Limit` (1 to 1000; default 1000). */
  pageSize?: number;
  clock?: Clock;
  /** Aborting makes a pending `next()` reject with the signal's reason. */
  signal?: AbortSignal;
  /** Back-off after LimitExceeded/ProvisionedThroughputExceeded/Throttling errors. */
  throttle?: Partial<ThrottleSettings>;
  /** Random source for back-off jitter, [0, 1). */
  random?: () => number;
  /** Iterator failures in a row (with back-off between them) before giving up; default 8. */
  maxConsecutiveFailures?: number;
  /** Data before the checkpoint was trimmed: reading goes on from the oldest record still held. */
  onTrimmed?: (info: TrimmedInfo) => void;
  /** The reader took a new iterator after an error. */
  onRecover?: (info: RecoveryInfo) => void;
  /**
   * Whether the shard is closed (has an EndingSequenceNumber). Asked only when
   * GetRecords returns no NextShardIterator; defaults to a DescribeStream.
   */
  isShardClosed?: (shardId: string) => Promise<boolean>;
}

/** One GetRecords result. */
export interface ShardPage {
  shardId: string;
  records: WireRecord[];
  /** How many records GetRecords returned, those skipped before the start included. */
  fetched: number;
  /** Sequence number of the last record read from the shard (skipped ones included). */
  position?: string;
  /** The shard is closed and read to its end: there are no more pages. */
  ended: boolean;
  /** GetRecords filled the page: more is probably waiting, so poll again at once. */
  full: boolean;
}

/** GetShardIterator says the shard does not exist (trimmed, or the stream is gone). */
export class ShardGoneError extends StreamsError {
  constructor(
    readonly shardId: string,
    cause: unknown,
  ) {
    super('streams.shard-gone', `Shard ${shardId} no longer exists`, { cause, details: { shardId } });
  }
}

const THROTTLE_ERRORS = new Set([
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? '';
}

function floorToMinuteSeconds(ms: number): number {
  return Math.floor(ms / 60_000) * 60;
}

/** Sleeps on the injected clock; an abort cuts the wait short with the signal's reason. */
export async function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return clock.sleep(ms);
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      clock.sleep(ms),
      new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        if (signal.aborted) onAbort();
      }),
    ]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Reads one shard page by page, one GetRecords at a time, and recovers from
 * iterator trouble by taking a new iterator from its checkpoint (the last
 * record read), or from TRIM_HORIZON when it has none, never from LATEST: a
 * jump to the end would silently lose what was written in between.
 *
 * The caller owns durable checkpoints: `seek()` moves the reader to "after
 * sequence number X" at any time, and a reader built with an
 * AFTER_SEQUENCE_NUMBER start resumes where a previous process stopped.
 */
export class ShardReader {
  readonly shardId: string;
  private readonly opts: ShardReaderOptions;
  private readonly clock: Clock;
  private readonly pageSize: number;
  private readonly throttle: ThrottleSettings;
  private readonly random: () => number;
  private readonly maxFailures: number;
  private iterator: string | undefined;
  private position: string | undefined;
  private ended = false;
  /** Records before this point are skipped until the first one at or after it. */
  private skipBefore: { seconds?: number; sequence?: string } | undefined;
  /** When the LATEST iterator was taken: recovery before the first record restarts there. */
  private latestTakenAt: number | undefined;
  private forceTrimHorizon = false;
  private trimmedInARow = 0;
  private failuresInARow = 0;
  private throttledInARow = 0;

  constructor(options: ShardReaderOptions) {
    this.opts = options;
    this.shardId = options.shardId;
    this.clock = options.clock ?? systemClock;
    this.pageSize = Math.min(1000, Math.max(1, options.pageSize ?? 1000));
    this.throttle = { baseMs: 100, maxMs: 5000, ...options.throttle };
    this.random = options.random ?? Math.random;
    this.maxFailures = options.maxConsecutiveFailures ?? 8;
    const start = options.start;
    if (start.type === 'AFTER_SEQUENCE_NUMBER') this.position = start.sequenceNumber;
    if (start.type === 'AT_TIME') this.skipBefore = { seconds: floorToMinuteSeconds(start.time) };
  }

  /** Sequence number of the last record read (the reader's own checkpoint). */
  get checkpoint(): string | undefined {
    return this.position;
  }

  /** True once the shard is closed and fully read. */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Continue after `sequenceNumber` (a durable checkpoint), dropping the
   * current iterator; `undefined` goes back to the start position.
   */
  seek(sequenceNumber: string | undefined): void {
    this.position = sequenceNumber;
    this.iterator = undefined;
    this.ended = false;
    this.forceTrimHorizon = false;
  }

  /** Fetches the next page, recovering from iterator errors on the way. */
  async next(): Promise<ShardPage> {
    for (;;) {
      this.opts.signal?.throwIfAborted();
      if (this.ended)
        return {
          shardId: this.shardId,
          records: [],
          fetched: 0,
          ...this.positionField(),
          ended: true,
          full: false,
        };
      if (!this.iterator) this.iterator = await this.acquire();
      let out: GetRecordsCommandOutput;
      try {
        out = await this.opts.client.send(
          new GetRecordsCommand({ ShardIterator: this.iterator, Limit: this.pageSize }),
          this.sendOptions(),
        );
      } catch (err) {
        await this.handleGetRecordsError(err);
        continue;
      }
      this.failuresInARow = 0;
      this.throttledInARow = 0;
      this.trimmedInARow = 0;
      this.forceTrimHorizon = false;
      return this.toPage(out);
    }
  }

  private positionField(): { position?: string } {
    return this.position ? { position: this.position } : {};
  }

  private sendOptions(): { abortSignal?: AbortSignal } {
    return this.opts.signal ? { abortSignal: this.opts.signal } : {};
  }

  private async toPage(out: GetRecordsCommandOutput): Promise<ShardPage> {
    const raw = out.Records ?? [];
    const records: WireRecord[] = [];
    const ctx = { streamArn: this.opts.streamArn, region: this.opts.region };
    for (const item of raw) {
      const record = toWireRecord(item, ctx);
      this.position = record.dynamodb.SequenceNumber;
      if (this.skipBefore && this.isBeforeStart(record)) continue;
      this.skipBefore = undefined;
      records.push(record);
    }
    const full = raw.length >= this.pageSize;
    if (out.NextShardIterator) {
      this.iterator = out.NextShardIterator;
    } else {
      this.iterator = undefined;
      if (await this.isClosed()) {
        this.ended = true;
      } else {
        // DynamoDB Local sometimes ends an open shard's iterator chain.
        this.recovered('missing-next-iterator');
      }
    }
    return {
      shardId: this.shardId,
      records,
      fetched: raw.length,
      ...this.positionField(),
      ended: this.ended,
      full,
    };
  }

  private isBeforeStart(record: WireRecord): boolean {
    const skip = this.skipBefore;
    if (!skip) return false;
    if (skip.sequence !== undefined) {
      return compareSequenceNumbers(record.dynamodb.SequenceNumber, skip.sequence) < 0;
    }
    const created = record.dynamodb.ApproximateCreationDateTime;
    return skip.seconds !== undefined && created !== undefined && created < skip.seconds;
  }

  private async isClosed(): Promise<boolean> {
    if (this.opts.isShardClosed) return this.opts.isShardClosed(this.shardId);
    const { shards } = await describeShards(this.opts.client, this.opts.streamArn, this.opts.signal);
    const shard = shards.find((s) => s.shardId === this.shardId);
    return !shard || shard.endingSequenceNumber !== undefined;
  }

  /** The iterator type to ask for now, following the recovery rules. */
  private wanted(): { type: ShardIteratorType; sequenceNumber?: string } {
    if (this.forceTrimHorizon) return { type: 'TRIM_HORIZON' };
    if (this.position) return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.position };
    const start = this.opts.start;
    switch (start.type) {
      case 'LATEST':
        if (this.latestTakenAt === undefined) {
          this.latestTakenAt = this.clock.now();
          return { type: 'LATEST' };
        }
        // Nothing read yet and the LATEST iterator failed: re-scan from the
        // oldest record, skipping what came before the first iterator.
        this.skipBefore = { seconds: floorToMinuteSeconds(this.latestTakenAt) };
        return { type: 'TRIM_HORIZON' };
      case 'AT_SEQUENCE_NUMBER':
        if (this.skipBefore?.sequence !== undefined) return { type: 'TRIM_HORIZON' };
        return { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: start.sequenceNumber };
      default:
        return { type: 'TRIM_HORIZON' };
    }
  }

  private async getIterator(want: { type: ShardIteratorType; sequenceNumber?: string }): Promise<string> {
    const out = await this.opts.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.opts.streamArn,
        ShardId: this.shardId,
        ShardIteratorType: want.type,
        ...(want.sequenceNumber ? { SequenceNumber: want.sequenceNumber } : {}),
      }),
      this.sendOptions(),
    );
    if (!out.ShardIterator) {
      throw new StreamsError(
        'streams.no-iterator',
        `GetShardIterator returned no iterator for shard ${this.shardId}.`,
        { details: { shardId: this.shardId } },
      );
    }
    return out.ShardIterator;
  }

  private async acquire(): Promise<string> {
    for (;;) {
      const want = this.wanted();
      try {
        return await this.getIterator(want);
      } catch (err) {
        const name = errorName(err);
        if (name === 'TrimmedDataAccessException' && want.type !== 'TRIM_HORIZON') {
          // The checkpoint itself is gone: carry on from the oldest record held.
          this.reportTrimmed(err);
          this.forceTrimHorizon = true;
          this.recovered('trimmed');
          continue;
        }
        // DynamoDB Local answers InternalFailure where AWS says ValidationException.
        if (
          (name === 'ValidationException' || name === 'InternalFailure') &&
          want.type === 'AT_SEQUENCE_NUMBER' &&
          want.sequenceNumber
        ) {
          // Not a number of this shard: read it all, keeping records from that number on.
          this.skipBefore = { sequence: want.sequenceNumber };
          this.recovered('invalid-sequence-number');
          continue;
        }
        if (name === 'ResourceNotFoundException') throw new ShardGoneError(this.shardId, err);
        if (THROTTLE_ERRORS.has(name)) {
          await this.backOffThrottled();
          continue;
        }
        throw err;
      }
    }
  }

  private async handleGetRecordsError(err: unknown): Promise<void> {
    const name = errorName(err);
    const message = (err as Error)?.message ?? '';
    if (THROTTLE_ERRORS.has(name)) {
      // The iterator stays valid: wait and ask again with it.
      await this.backOffThrottled();
      return;
    }
    this.iterator = undefined;
    if (name === 'ExpiredIteratorException') return this.afterIteratorFailure('expired-iterator', err);
    if (name === 'ResourceNotFoundException' && /invalid shardid in sharditerator/i.test(message)) {
      return this.afterIteratorFailure('invalid-shard-iterator', err);
    }
    if (name === 'TrimmedDataAccessException') {
      this.reportTrimmed(err);
      // First try the checkpoint again (DynamoDB Local raises this on fresh
      // iterators of empty shards); if that is trimmed too, go to the oldest record.
      this.trimmedInARow += 1;
      if (this.trimmedInARow >= 2) this.forceTrimHorizon = true;
      return this.afterIteratorFailure('trimmed', err);
    }
    throw err;
  }

  private async afterIteratorFailure(reason: RecoveryReason, err: unknown): Promise<void> {
    this.failuresInARow += 1;
    if (this.failuresInARow > this.maxFailures) {
      throw new StreamsError(
        'streams.shard-read-failed',
        `Reading shard ${this.shardId} failed ${this.failuresInARow} times in a row (${errorName(err)}: ${(err as Error)?.message}).`,
        { cause: err, details: { shardId: this.shardId, failures: this.failuresInARow } },
      );
    }
    this.recovered(reason);
    if (this.failuresInARow > 1)
      await sleep(this.clock, this.backoffMs(this.failuresInARow - 2), this.opts.signal);
  }

  private recovered(reason: RecoveryReason): void {
    const want = this.peekWanted();
    this.opts.onRecover?.({
      shardId: this.shardId,
      reason,
      from: want.sequenceNumber ? `${want.type} ${want.sequenceNumber}` : want.type,
    });
  }

  /** What `wanted()` would return, without its side effects. */
  private peekWanted(): { type: string; sequenceNumber?: string } {
    if (this.forceTrimHorizon) return { type: 'TRIM_HORIZON' };
    if (this.position) return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.position };
    const start = this.opts.start;
    if (start.type === 'LATEST')
      return { type: this.latestTakenAt === undefined ? 'LATEST' : 'TRIM_HORIZON' };
    if (start.type === 'AT_SEQUENCE_NUMBER' && this.skipBefore?.sequence === undefined) {
      return { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: start.sequenceNumber };
    }
    return { type: 'TRIM_HORIZON' };
  }

  private reportTrimmed(err: unknown): void {
    this.opts.onTrimmed?.({
      shardId: this.shardId,
      ...(this.position ? { checkpoint: this.position } : {}),
      error: err as Error,
    });
  }

  private backoffMs(attempt: number): number {
    const cap = Math.min(this.throttle.maxMs, this.throttle.baseMs * 2 ** attempt);
    // "Equal jitter": at least half the cap, so back-off always grows.
    return Math.round(cap / 2 + (this.random() * cap) / 2);
  }

  private async backOffThrottled(): Promise<void> {
    const delay = this.backoffMs(this.throttledInARow);
    this.throttledInARow += 1;
    await sleep(this.clock, delay, this.opts.signal);
  }
}

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
  region?: string;
  from: StreamStart;
  /** true: keep polling for new records and shards; false: stop at the end of the open shards. */
  follow: boolean;
  /** GetRecords `Limit` (1 to 1000; default 1000). */
  pageSize?: number;
  /** Ending the iteration early: the iterable then finishes without error. */
  signal?: AbortSignal;
  clock?: Clock;
  /** Wait after a page that was not full, per shard (default 250 ms: 4 polls a second when idle). */
  pollIntervalMs?: number;
  /** How often `follow` looks for new shards besides when a shard ends (default 10 s). */
  describeIntervalMs?: number;
  throttle?: Partial<ThrottleSettings>;
  random?: () => number;
  /** Every GetRecords result, empty ones included (for progress and metrics). */
  onPage?: (page: ShardPage) => void;
  onTrimmed?: (info: TrimmedInfo) => void;
  onRecover?: (info: RecoveryInfo) => void;
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
  const lineage = new ShardLineage();
  const active = new Map<string, ActiveShard>();
  let initialIds: Set<string> | undefined;
  let nextDescribeAt = 0;

  const refresh = async (): Promise<void> => {
    const { shards } = await describeShards(client, streamArn, signal);
    lineage.update(shards);
    initialIds ??= new Set(shards.map((s) => s.shardId));
    nextDescribeAt = clock.now() + describeIntervalMs;
    for (let ready = lineage.takeReady(); ready.length > 0; ready = lineage.takeReady()) {
      for (const shard of ready) {
        const start = initialIds.has(shard.shardId)
          ? startFor(options.from, shard)
          : { type: 'TRIM_HORIZON' as const };
        if (start === 'skip') {
          lineage.finish(shard.shardId);
          continue;
        }
        const reader = new ShardReader({
          client,
          streamArn,
          shardId: shard.shardId,
          region,
          start,
          ...(options.pageSize ? { pageSize: options.pageSize } : {}),
          clock,
          ...(signal ? { signal } : {}),
          ...(options.throttle ? { throttle: options.throttle } : {}),
          ...(options.random ? { random: options.random } : {}),
          ...(options.onTrimmed ? { onTrimmed: options.onTrimmed } : {}),
          ...(options.onRecover ? { onRecover: options.onRecover } : {}),
          isShardClosed: async (id) => {
            const latest = await describeShards(client, streamArn, signal);
            lineage.update(latest.shards);
            const info = latest.shards.find((s) => s.shardId === id);
            return !info || info.endingSequenceNumber !== undefined;
          },
        });
        active.set(shard.shardId, { reader, dueAt: clock.now() });
      }
    }
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
        lineage.finish(shardId);
        await refresh();
        continue;
      }
      options.onPage?.(page);
      if (page.records.length > 0) yield { shardId, records: page.records };
      if (page.ended) {
        active.delete(shardId);
        lineage.finish(shardId);
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
