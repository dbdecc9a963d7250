import { randomUUID } from 'node:crypto';
import type { InvokeOutcome } from '../runtime/invokeOutcome.js';
import { MAX_SYNC_PAYLOAD_BYTES } from '../util/lambda.js';
import { sleep } from '../util/sleep.js';
import type { Clock } from '../util/time.js';
import { decide } from './decide.js';
import type { RecordFilter } from './filter.js';
import { buildOnFailureMessage, type OnFailureMessage } from './onFailureMessage.js';
import { interpretResponse } from './response.js';
import { type EsmSettings, recordFilterOf, reportsBatchItemFailures } from './settings.js';

/** What the processor reads from a delivered (Lambda-shaped) stream record. */
export interface EsmRecord {
  dynamodb: {
    SequenceNumber: string;
    /** Epoch seconds. */
    ApproximateCreationDateTime: number;
    Keys?: unknown;
  };
}

/** With MaximumRecordAgeInSeconds -1, records live as long as the stream keeps them. */
export const STREAM_RETENTION_SECONDS = 24 * 60 * 60;

/** Progress reports, for `status` and logs. */
export type EsmEvent =
  | {
      type: 'invoked';
      shardId: string;
      /** Records in the invoked batch. */
      batchSize: number;
      /** Records checkpointed by this invocation. */
      recordsSucceeded: number;
      /** ms between the newest record entering the stream and the invocation. */
      iteratorAgeMs: number;
      result: 'OK' | 'PARTIAL' | 'FAILED';
      functionError: 'Unhandled' | null;
      detail?: string;
      /** Epoch ms of the invocation. */
      at: number;
    }
  | { type: 'filtered'; shardId: string; count: number }
  | { type: 'discarded'; shardId: string; message: OnFailureMessage }
  | { type: 'checkpoint'; shardId: string; sequenceNumber: string }
  /**
   * After every poll of a shard: caught up when the read reached the end of
   * what the shard holds and every record read is checkpointed. `ended`: the
   * shard is closed and fully processed (it no longer counts).
   */
  | { type: 'position'; shardId: string; caughtUp: boolean; ended?: boolean; at: number };

export interface ShardProcessorOptions<R extends EsmRecord> {
  shardId: string;
  streamArn: string;
  /** Goes into on-failure messages. */
  functionArn: string;
  settings: EsmSettings;
  /** Defaults to the settings' FilterCriteria. */
  filter?: RecordFilter | undefined;
  /** Runs the handler on `{ Records: records }`; a rejection counts as a crash. */
  invoke(records: R[]): Promise<InvokeOutcome>;
  clock: Clock;
  /**
   * Every record up to and including `sequenceNumber` is done (delivered,
   * filtered out or discarded). Persist it durably before resolving: the shard
   * does not move on until it resolves. Calls are serialized and increasing.
   */
  onCheckpoint(sequenceNumber: string): Promise<void>;
  /** Sends a discarded batch's message to the on-failure destination; awaited before the checkpoint moves. */
  onFailure(message: OnFailureMessage): Promise<void>;
  onEvent?: ((event: EsmEvent) => void) | undefined;
  /** Event payload cap in bytes (default {@link MAX_SYNC_PAYLOAD_BYTES}: Lambda's limit). */
  maxBatchBytes?: number | undefined;
  /** Wait before retry number `retry` (1-based). Default: 500 ms doubling, at most 10 s. */
  retryDelayMs?: ((retry: number) => number) | undefined;
  /**
   * Set when ApproximateCreationDateTime is coarser than AWS's second:
   * DynamoDB Local rounds it down to the minute (60000). A record entered the
   * stream before the end of its rounding step and before it was read, so the
   * iterator age then counts from the earlier of the two, and an idle local
   * pipeline shows milliseconds, not up to a minute. Unset: AWS's definition,
   * invocation time minus ApproximateCreationDateTime.
   */
  creationTimeResolutionMs?: number | undefined;
}

interface Entry<R> {
  record: R;
  seq: string;
  createdSeconds: number;
  bytes: number;
  enqueuedAt: number;
  done: boolean;
}

/** A run of records that fail and are retried together; bisection splits it. */
interface Piece<R> {
  entries: Entry<R>[];
  /** Retries used by these records (a split uses none). */
  retries: number;
  /** Invocations of this piece since it was formed. */
  invocations: number;
  functionError: 'Unhandled' | null;
  requestId?: string | undefined;
}

interface Lane<R> {
  queue: Entry<R>[];
  busy: boolean;
}

/** `{"Records":[` + `]}`. */
const EVENT_ENVELOPE_BYTES = 14;

function defaultRetryDelay(retry: number): number {
  return Math.min(500 * 2 ** (retry - 1), 10_000);
}

/** FNV-1a: a stable lane per item key, so one key's records never run concurrently. */
function laneOf(keys: unknown, lanes: number): number {
  if (lanes === 1) return 0;
  const text = JSON.stringify(keys ?? null, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % lanes;
}

/**
 * Decides what happens to the records of one shard, as Lambda's event source
 * mapping does: batching (BatchSize, 6 MB, batching window), filtering,
 * partial batch responses, retries, bisection, record age and discard to the
 * on-failure destination. Reading the shard is the caller's job:
 *
 * ```
 * loop: records = fetch(); await p.enqueue(records); p.dispatch(); sleep(min(poll, p.msUntilReady()))
 * closed shard: await p.drain()
 * ```
 *
 * Bisection splits on function errors only (thrown, timed out, crashed): a
 * partial batch response already says where the batch fails. A piece's
 * `approximateInvokeCount` counts its invocations since its last split, so a
 * record isolated by bisection reports retries + 1.
 *
 * With ParallelizationFactor N, records are spread over N lanes by a hash of
 * their item key; each lane has at most one batch in flight and keeps its
 * records in order. The checkpoint only moves over records that are done in
 * every lane.
 */
export class ShardProcessor<R extends EsmRecord> {
  private readonly lanes: Lane<R>[];
  private readonly filter: RecordFilter;
  private readonly maxBatchBytes: number;
  private readonly maxAgeMs: number;
  /** Every enqueued record in stream order, to find how far the shard is done. */
  private order: Entry<R>[] = [];
  private head = 0;
  private checkpointChain: Promise<void> = Promise.resolve();
  private readonly running = new Set<Promise<void>>();
  private failure: unknown;
  private stopping = false;
  /** Aborted by stop(): cuts a retry back-off short, so a stop waits only for the invocation in flight. */
  private readonly halt = new AbortController();
  /** nextChange() waiters, woken when a batch starts or finishes. */
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: ShardProcessorOptions<R>) {
    const { settings } = options;
    this.lanes = Array.from({ length: settings.ParallelizationFactor }, () => ({ queue: [], busy: false }));
    this.filter = options.filter ?? recordFilterOf(settings);
    this.maxBatchBytes = options.maxBatchBytes ?? MAX_SYNC_PAYLOAD_BYTES;
    const ageSeconds =
      settings.MaximumRecordAgeInSeconds === -1
        ? STREAM_RETENTION_SECONDS
        : settings.MaximumRecordAgeInSeconds;
    this.maxAgeMs = ageSeconds * 1000;
  }

  /** Records waiting for or in a batch. */
  get pendingCount(): number {
    return this.order.length - this.head;
  }

  /** Records read but not yet in a batch (queued on a lane). */
  get waitingCount(): number {
    let waiting = 0;
    for (const lane of this.lanes) waiting += lane.queue.length;
    return waiting;
  }

  /**
   * Resolves when a batch starts or finishes, or after `ms`; rejects when
   * `signal` aborts, and with the processor's failure once it has failed (a
   * caller waiting for queued records to leave must not wait forever).
   */
  async nextChange(ms: number, signal?: AbortSignal): Promise<void> {
    this.throwIfFailed();
    let wake: () => void = () => {};
    const changed = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.waiters.add(wake);
    try {
      await Promise.race([changed, sleep(this.options.clock, ms, signal)]);
    } finally {
      this.waiters.delete(wake);
    }
    this.throwIfFailed();
  }

  private notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Adds records read from the shard, in stream order. Records the filters
   * reject are done at once (checkpointed, never invoked, never discarded).
   */
  async enqueue(records: readonly R[]): Promise<void> {
    this.throwIfFailed();
    const now = this.options.clock.now();
    let filtered = 0;
    for (const record of records) {
      const entry: Entry<R> = {
        record,
        seq: record.dynamodb.SequenceNumber,
        createdSeconds: record.dynamodb.ApproximateCreationDateTime,
        bytes: Buffer.byteLength(JSON.stringify(record)) + 1,
        enqueuedAt: now,
        done: false,
      };
      this.order.push(entry);
      if (this.filter(record)) {
        this.lanes[laneOf(record.dynamodb.Keys, this.lanes.length)]?.queue.push(entry);
      } else {
        entry.done = true;
        filtered++;
      }
    }
    if (filtered > 0) {
      this.emit({ type: 'filtered', shardId: this.options.shardId, count: filtered });
      await this.advance();
    }
  }

  /**
   * 0 when a batch can be invoked now, otherwise ms until a batching window
   * closes; Infinity when nothing waits.
   */
  msUntilReady(): number {
    let wait = Number.POSITIVE_INFINITY;
    for (const lane of this.lanes) {
      if (lane.busy || lane.queue.length === 0) continue;
      wait = Math.min(wait, this.laneWait(lane, false));
    }
    return wait;
  }

  /**
   * Starts a batch on every idle lane that is ready; returns at once. A lane
   * that finishes a batch dispatches again by itself.
   */
  dispatch(force = false): void {
    if (this.failure !== undefined || this.stopping) return;
    for (const lane of this.lanes) {
      if (lane.busy || lane.queue.length === 0 || this.laneWait(lane, force) > 0) continue;
      lane.busy = true;
      const batch = this.takeBatch(lane);
      const run = this.processBatch(batch)
        .catch((err: unknown) => {
          this.failure ??= err;
        })
        .finally(() => {
          lane.busy = false;
          this.running.delete(run);
          this.dispatch(force);
          this.notify();
        });
      this.running.add(run);
      this.notify();
    }
  }

  /** Waits until the batches in flight (and those they chain to) are finished. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    this.throwIfFailed();
  }

  /** Processes everything queued without waiting for batching windows (a closed shard, a stop). */
  async drain(): Promise<void> {
    do {
      this.dispatch(true);
      await this.settled();
    } while (!this.stopping && this.lanes.some((lane) => lane.queue.length > 0));
  }

  /**
   * Stops after the current invocations: no retry, no new batch. Records not
   * done stay behind the checkpoint and are delivered again after a restart.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.halt.abort();
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private laneWait(lane: Lane<R>, force: boolean): number {
    const { BatchSize, MaximumBatchingWindowInSeconds } = this.options.settings;
    if (force || lane.queue.length >= BatchSize || MaximumBatchingWindowInSeconds === 0) return 0;
    let bytes = EVENT_ENVELOPE_BYTES;
    for (const entry of lane.queue) bytes += entry.bytes;
    if (bytes >= this.maxBatchBytes) return 0;
    const first = lane.queue[0] as Entry<R>;
    return Math.max(0, first.enqueuedAt + MaximumBatchingWindowInSeconds * 1000 - this.options.clock.now());
  }

  private takeBatch(lane: Lane<R>): Entry<R>[] {
    const batch: Entry<R>[] = [];
    let bytes = EVENT_ENVELOPE_BYTES;
    for (const entry of lane.queue) {
      if (batch.length >= this.options.settings.BatchSize) break;
      if (batch.length > 0 && bytes + entry.bytes > this.maxBatchBytes) break;
      batch.push(entry);
      bytes += entry.bytes;
    }
    lane.queue.splice(0, batch.length);
    return batch;
  }

  private async processBatch(batch: Entry<R>[]): Promise<void> {
    const { settings, clock } = this.options;
    const reportFailures = reportsBatchItemFailures(settings);
    const work: Piece<R>[] = [{ entries: batch, retries: 0, invocations: 0, functionError: null }];
    while (work.length > 0 && !this.stopping) {
      const piece = work[0] as Piece<R>;
      const now = clock.now();
      const expired = piece.entries.findIndex((e) => now - e.createdSeconds * 1000 <= this.maxAgeMs);
      const expiredCount = expired === -1 ? piece.entries.length : expired;
      if (expiredCount > 0) {
        await this.discard(piece, piece.entries.slice(0, expiredCount), 'RecordAgeExceeded');
        piece.entries = piece.entries.slice(expiredCount);
        if (piece.entries.length === 0) {
          work.shift();
          continue;
        }
      }

      const records = piece.entries.map((e) => e.record);
      const resolution = this.options.creationTimeResolutionMs;
      const newest = Math.max(
        ...piece.entries.map((e) =>
          resolution
            ? Math.min(e.enqueuedAt, e.createdSeconds * 1000 + resolution - 1)
            : e.createdSeconds * 1000,
        ),
      );
      const invokedAt = clock.now();
      let outcome: InvokeOutcome;
      try {
        outcome = await this.options.invoke(records);
      } catch (err) {
        outcome = {
          ok: false,
          functionError: 'Unhandled',
          errorType: 'Runtime.InvokeError',
          errorMessage: (err as Error).message ?? String(err),
          reason: 'crash',
        };
      }
      piece.invocations++;
      piece.requestId = outcome.requestId;
      const verdict = interpretResponse(
        outcome,
        piece.entries.map((e) => e.seq),
        reportFailures,
      );
      const decision = decide({ records: piece.entries.length, retries: piece.retries }, verdict, settings);
      const succeeded = decision.action === 'done' ? piece.entries.length : decision.succeeded;
      this.emit({
        type: 'invoked',
        shardId: this.options.shardId,
        batchSize: piece.entries.length,
        recordsSucceeded: succeeded,
        iteratorAgeMs: Math.max(0, invokedAt - newest),
        result: verdict.kind === 'success' ? 'OK' : succeeded > 0 ? 'PARTIAL' : 'FAILED',
        functionError: verdict.kind === 'failure' ? verdict.functionError : null,
        ...(verdict.kind === 'failure' ? { detail: verdict.detail } : {}),
        at: invokedAt,
      });
      if (decision.action === 'done') {
        await this.markDone(piece.entries);
        work.shift();
        continue;
      }
      await this.markDone(piece.entries.slice(0, succeeded));
      const failing = piece.entries.slice(succeeded);
      const functionError = verdict.kind === 'failure' ? verdict.functionError : null;

      if (decision.action === 'split') {
        const half = Math.ceil(failing.length / 2);
        const split = (entries: Entry<R>[]): Piece<R> => ({
          entries,
          retries: piece.retries,
          invocations: 0,
          functionError,
        });
        work.splice(0, 1, split(failing.slice(0, half)), split(failing.slice(half)));
        continue;
      }
      piece.entries = failing;
      piece.functionError = functionError;
      if (decision.action === 'discard') {
        await this.discard(piece, failing, 'RetryAttemptsExhausted');
        work.shift();
        continue;
      }
      piece.retries++;
      const delay = (this.options.retryDelayMs ?? defaultRetryDelay)(piece.retries);
      // A stop cuts the back-off short: the records stay behind the checkpoint, delivered again later.
      await sleep(clock, delay, this.halt.signal).catch(() => {});
    }
  }

  private async discard(
    piece: Piece<R>,
    entries: Entry<R>[],
    condition: OnFailureMessage['requestContext']['condition'],
  ): Promise<void> {
    const message = buildOnFailureMessage({
      requestId: piece.requestId ?? randomUUID(),
      functionArn: this.options.functionArn,
      condition,
      approximateInvokeCount: piece.invocations,
      functionError: piece.invocations > 0 ? piece.functionError : null,
      now: this.options.clock.now(),
      shardId: this.options.shardId,
      streamArn: this.options.streamArn,
      records: entries.map((e) => ({ sequenceNumber: e.seq, approximateCreationDateTime: e.createdSeconds })),
    });
    await this.options.onFailure(message);
    this.emit({ type: 'discarded', shardId: this.options.shardId, message });
    await this.markDone(entries);
  }

  private async markDone(entries: Entry<R>[]): Promise<void> {
    if (entries.length === 0) return;
    for (const entry of entries) entry.done = true;
    await this.advance();
  }

  /** Moves the checkpoint over the done prefix of the shard and waits until it is persisted. */
  private async advance(): Promise<void> {
    let last: Entry<R> | undefined;
    while (this.head < this.order.length && (this.order[this.head] as Entry<R>).done) {
      last = this.order[this.head];
      this.head++;
    }
    if (this.head > 1024) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    if (last === undefined) {
      await this.checkpointChain;
      return;
    }
    const seq = last.seq;
    this.checkpointChain = this.checkpointChain.then(async () => {
      await this.options.onCheckpoint(seq);
      this.emit({ type: 'checkpoint', shardId: this.options.shardId, sequenceNumber: seq });
    });
    await this.checkpointChain;
  }

  private emit(event: EsmEvent): void {
    this.options.onEvent?.(event);
  }
}
