import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { sleep } from '../util/sleep.js';
import { type Clock, systemClock } from '../util/time.js';
import { isShardClosed } from './discovery.js';
import { StreamsError } from './errors.js';
import {
  floorToMinuteSeconds,
  type IteratorRequest,
  nextIterator,
  type RecoveryState,
  type ShardStart,
} from './recovery.js';
import type { StreamsClient } from './shards.js';
import { compareSequenceNumbers, type StreamRecord, toWireRecord } from './wire.js';

export type { ShardStart } from './recovery.js';

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
  pageSize?: number | undefined;
  clock?: Clock | undefined;
  /** Aborting makes a pending `next()` reject with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Back-off after LimitExceeded/ProvisionedThroughputExceeded/Throttling errors. */
  throttle?: Partial<ThrottleSettings> | undefined;
  /** Random source for back-off jitter, [0, 1). */
  random?: (() => number) | undefined;
  /** Iterator failures in a row (with back-off between them) before giving up; default 8. */
  maxConsecutiveFailures?: number | undefined;
  /** Data before the checkpoint was trimmed: reading goes on from the oldest record still held. */
  onTrimmed?: ((info: TrimmedInfo) => void) | undefined;
  /** The reader took a new iterator after an error. */
  onRecover?: ((info: RecoveryInfo) => void) | undefined;
  /**
   * Whether the shard is closed (has an EndingSequenceNumber). Asked only when
   * GetRecords returns no NextShardIterator; defaults to a DescribeStream.
   */
  isShardClosed?: ((shardId: string) => Promise<boolean>) | undefined;
}

/** One GetRecords result. */
export interface ShardPage {
  shardId: string;
  records: StreamRecord[];
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
  private ended = false;
  /** Checkpoint, skip point and the other facts the recovery rules decide from. */
  private state: RecoveryState = { forceTrimHorizon: false };
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
    if (start.type === 'AFTER_SEQUENCE_NUMBER') this.state.position = start.sequenceNumber;
    if (start.type === 'AT_TIME') this.state.skipBefore = { seconds: floorToMinuteSeconds(start.time) };
  }

  /** Sequence number of the last record read (the reader's own checkpoint). */
  get checkpoint(): string | undefined {
    return this.state.position;
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
    const { position: _old, ...rest } = this.state;
    this.state = {
      ...rest,
      ...(sequenceNumber ? { position: sequenceNumber } : {}),
      forceTrimHorizon: false,
    };
    this.iterator = undefined;
    this.ended = false;
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
      this.state.forceTrimHorizon = false;
      return this.toPage(out);
    }
  }

  private positionField(): { position?: string } {
    return this.state.position ? { position: this.state.position } : {};
  }

  private sendOptions(): { abortSignal?: AbortSignal } {
    return this.opts.signal ? { abortSignal: this.opts.signal } : {};
  }

  private async toPage(out: GetRecordsCommandOutput): Promise<ShardPage> {
    const raw = out.Records ?? [];
    const records: StreamRecord[] = [];
    const ctx = { streamArn: this.opts.streamArn, region: this.opts.region, readAt: this.clock.now() };
    for (const item of raw) {
      const record = toWireRecord(item, ctx);
      this.state.position = record.dynamodb.SequenceNumber;
      if (this.state.skipBefore && this.isBeforeStart(record)) continue;
      delete this.state.skipBefore;
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

  private isBeforeStart(record: StreamRecord): boolean {
    const skip = this.state.skipBefore;
    if (!skip) return false;
    if (skip.sequence !== undefined) {
      return compareSequenceNumbers(record.dynamodb.SequenceNumber, skip.sequence) < 0;
    }
    const created = record.dynamodb.ApproximateCreationDateTime;
    return skip.seconds !== undefined && created < skip.seconds;
  }

  private async isClosed(): Promise<boolean> {
    if (this.opts.isShardClosed) return this.opts.isShardClosed(this.shardId);
    return isShardClosed(this.opts.client, this.opts.streamArn, this.shardId, this.opts.signal);
  }

  /** The iterator to ask for now (the recovery rules are nextIterator in recovery.ts). */
  private wanted(): IteratorRequest {
    const { request, state } = nextIterator(this.state, this.opts.start, this.clock.now());
    this.state = state;
    return request;
  }

  private async getIterator(want: IteratorRequest): Promise<string> {
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
          this.state.forceTrimHorizon = true;
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
          this.state.skipBefore = { sequence: want.sequenceNumber };
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
      if (this.trimmedInARow >= 2) this.state.forceTrimHorizon = true;
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
    // Where the next iterator will come from, by the same rules, without taking it.
    const { request } = nextIterator(this.state, this.opts.start, this.clock.now());
    this.opts.onRecover?.({
      shardId: this.shardId,
      reason,
      from: request.sequenceNumber ? `${request.type} ${request.sequenceNumber}` : request.type,
    });
  }

  private reportTrimmed(err: unknown): void {
    this.opts.onTrimmed?.({
      shardId: this.shardId,
      ...(this.state.position ? { checkpoint: this.state.position } : {}),
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

  /**
   * The shard as a pull source: one GetRecords per pull, each page with its
   * checkpoint (`position`), until the shard is closed and read to its end.
   * How often to pull (the idle poll, the read-ahead) is the consumer's call.
   */
  async *pages(): AsyncGenerator<ShardPage, void, undefined> {
    for (;;) {
      const page = await this.next();
      yield page;
      if (page.ended) return;
    }
  }
}
