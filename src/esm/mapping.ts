import type { InvokeOutcome } from '../runtime/invokeOutcome.js';
import { ShardDiscovery } from '../streams/discovery.js';
import { type RecoveryInfo, ShardReader, type TrimmedInfo } from '../streams/shardReader.js';
import type { ShardInfo, StreamsClient } from '../streams/shards.js';
import type { StreamRecord, WireRecord } from '../streams/wire.js';
import { sleep } from '../util/sleep.js';
import { type Clock, systemClock } from '../util/time.js';
import type { CheckpointStore } from './checkpointStore.js';
import type { OnFailureMessage } from './onFailureMessage.js';
import type { EsmSettings } from './settings.js';
import { type EsmEvent, ShardProcessor } from './shardProcessor.js';

/** Everything the local event source mapping is wired to. */
export interface EventSourceMappingOptions {
  streams: StreamsClient;
  streamArn: string;
  /** `awsRegion` written into each record. */
  region: string;
  settings: EsmSettings;
  /** Goes into on-failure messages. */
  functionArn: string;
  /** Runs the handler on `{ Records }` (the local runtime, or a test double). */
  invoke(records: WireRecord[]): Promise<InvokeOutcome>;
  checkpoints: CheckpointStore;
  onFailure(message: OnFailureMessage): Promise<void>;
  onEvent?(event: EsmEvent): void;
  /** The reader recovered from an iterator problem or trimmed data (for the log). */
  onNotice?(notice: { type: 'recovered'; info: RecoveryInfo } | { type: 'trimmed'; info: TrimmedInfo }): void;
  clock?: Clock | undefined;
  /** Stops polling; the batch in flight finishes and its checkpoint is kept. */
  signal: AbortSignal;
  /** Wait between polls of an idle shard (AWS: about 4 polls a second). */
  pollIntervalMs?: number | undefined;
  /** How often to look for new shards. */
  describeIntervalMs?: number | undefined;
  /** Wait before retry number `retry` (1-based); the processor's back-off by default. */
  retryDelayMs?(retry: number): number;
  /** Granularity of ApproximateCreationDateTime (see ShardProcessorOptions); 60000 for DynamoDB Local. */
  creationTimeResolutionMs?: number | undefined;
}

/**
 * Lambda's event source mapping for one DynamoDB stream, run locally: every
 * shard is polled by its own reader (one GetRecords in flight), children start
 * once their parents are drained, and each shard's records go through a
 * ShardProcessor (batching, filters, retries, bisection, discard). Shards
 * resume after their durable checkpoint, or from the starting position when
 * they have none.
 */
export async function runEventSourceMapping(options: EventSourceMappingOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const describeIntervalMs = options.describeIntervalMs ?? 10_000;
  const { signal, settings, checkpoints } = options;
  const discovery = new ShardDiscovery(options.streams, options.streamArn, signal);
  const running = new Map<string, Promise<void>>();
  let firstListing = true;
  let failure: unknown;

  // A shard we have no checkpoint for: the configured start on the first
  // listing, the shard's beginning for shards that appear later (children).
  const startOf = (shard: ShardInfo, initial: boolean) => {
    const checkpoint = checkpoints.sequenceNumber(shard.shardId);
    if (checkpoint) return { type: 'AFTER_SEQUENCE_NUMBER' as const, sequenceNumber: checkpoint };
    return initial && settings.StartingPosition === 'LATEST'
      ? { type: 'LATEST' as const }
      : { type: 'TRIM_HORIZON' as const };
  };

  const runShard = async (shard: ShardInfo, initial: boolean): Promise<void> => {
    const reader = new ShardReader({
      client: options.streams,
      streamArn: options.streamArn,
      shardId: shard.shardId,
      region: options.region,
      start: startOf(shard, initial),
      clock,
      signal,
      onRecover: (info) => options.onNotice?.({ type: 'recovered', info }),
      onTrimmed: (info) => options.onNotice?.({ type: 'trimmed', info }),
      isShardClosed: (id) => discovery.isClosed(id),
    });
    const processor = new ShardProcessor<StreamRecord>({
      shardId: shard.shardId,
      streamArn: options.streamArn,
      functionArn: options.functionArn,
      settings,
      clock,
      invoke: (records) => options.invoke(records),
      onCheckpoint: (seq) => checkpoints.save(shard.shardId, seq),
      onFailure: (message) => options.onFailure(message),
      onEvent: options.onEvent,
      retryDelayMs: options.retryDelayMs,
      creationTimeResolutionMs: options.creationTimeResolutionMs,
    });
    const position = (caughtUp: boolean, ended = false) =>
      options.onEvent?.({
        type: 'position',
        shardId: shard.shardId,
        caughtUp,
        ...(ended ? { ended } : {}),
        at: clock.now(),
      });
    const pages = reader.pages();
    try {
      while (!signal.aborted) {
        // Read-ahead, bounded: the next page is fetched while batches are in
        // flight, but only once every record read so far is in a batch, so at
        // most one page waits behind them and a failing batch holds its shard.
        if (processor.waitingCount > 0) {
          processor.dispatch();
          await processor.nextChange(Math.min(pollIntervalMs, processor.msUntilReady()), signal);
          continue;
        }
        const next = await pages.next();
        if (next.done) return;
        const page = next.value;
        await processor.enqueue(page.records);
        processor.dispatch();
        if (page.ended) {
          await processor.drain();
          await checkpoints.finish(shard.shardId);
          discovery.finish(shard.shardId);
          position(true, true);
          return;
        }
        position(page.records.length === 0 && !page.full && processor.pendingCount === 0);
        const wait = page.full ? 0 : Math.min(pollIntervalMs, processor.msUntilReady());
        if (wait > 0) await sleep(clock, wait, signal);
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      await processor.stop();
      await pages.return();
    }
  };

  const startReadyShards = async (): Promise<void> => {
    await discovery.refresh();
    const initial = firstListing;
    firstListing = false;
    // A parent finished in an earlier run releases its children in the same pass.
    discovery.takeReady((shard) => {
      if (checkpoints.isFinished(shard.shardId)) {
        discovery.finish(shard.shardId);
        return;
      }
      const task = runShard(shard, initial)
        .catch((err: unknown) => {
          failure ??= err;
        })
        .finally(() => running.delete(shard.shardId));
      running.set(shard.shardId, task);
    });
  };

  try {
    while (!signal.aborted && failure === undefined) {
      await startReadyShards();
      const deadline = clock.now() + describeIntervalMs;
      // Look again early when a shard ends: its children are ready now.
      while (!signal.aborted && failure === undefined && clock.now() < deadline) {
        const before = running.size;
        await sleep(clock, Math.min(pollIntervalMs, Math.max(0, deadline - clock.now())), signal).catch(
          () => {},
        );
        if (running.size < before) break;
      }
    }
  } finally {
    await Promise.allSettled([...running.values()]);
  }
  if (failure !== undefined) throw failure;
}
