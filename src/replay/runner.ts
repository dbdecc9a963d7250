import type { WireRecord } from '../streams/wire.js';
import type { BatchOutcome, Invoker, ReplayEvent } from './invoke.js';
import { toBatches, toEvent } from './source.js';

/** One batch to send, with where its records came from. */
export interface PlannedBatch {
  records: WireRecord[];
  /** A label for the origin (a DLQ message id); batches of one origin share it. */
  origin?: string;
}

/** Splits records into batches of at most `batchSize`, all with the same origin. */
export function planBatches(
  records: readonly WireRecord[],
  batchSize: number,
  origin?: string,
): PlannedBatch[] {
  return toBatches(records, batchSize).map((batch) => ({
    records: batch,
    ...(origin !== undefined ? { origin } : {}),
  }));
}

/** What happened to one batch; also the `--json` line `replay` prints for it. */
export interface BatchReport {
  /** 1-based position among all batches. */
  batch: number;
  batches: number;
  records: number;
  firstSequenceNumber: string;
  lastSequenceNumber: string;
  origin?: string;
  /** True: nothing was sent; `event` is what would have been. */
  dryRun: boolean;
  event?: ReplayEvent;
  /** Absent on a dry run. */
  outcome?: BatchOutcome;
}

export interface ReplaySummary {
  batches: number;
  records: number;
  /** Batches whose invocation failed (function error). */
  failedBatches: number;
  /** Records the handler reported in batchItemFailures. */
  failedRecords: number;
  /** Origins with a failed batch or a reported record failure. */
  failedOrigins: Set<string>;
}

export interface ReplayRun {
  batches: PlannedBatch[];
  /** Where batches go; absent means a dry run that sends nothing. */
  invoker?: Invoker;
  /** Called once per batch, in order, as soon as it is done. */
  onBatch?: (report: BatchReport) => void;
  /** Stops before the next batch; a batch in flight finishes. */
  signal?: AbortSignal;
}

/**
 * Sends batches one after another (a stream's per-key order holds across
 * batches, as with the event source mapping's one batch per shard at a
 * time). A failed batch does not stop the replay: the user sees every batch's
 * result, and the summary says what failed.
 */
export async function runReplay(run: ReplayRun): Promise<ReplaySummary> {
  const summary: ReplaySummary = {
    batches: 0,
    records: 0,
    failedBatches: 0,
    failedRecords: 0,
    failedOrigins: new Set(),
  };
  const total = run.batches.length;
  for (const [i, planned] of run.batches.entries()) {
    if (run.signal?.aborted) break;
    const first = planned.records[0];
    const last = planned.records[planned.records.length - 1];
    if (!first || !last) continue;
    const event = toEvent(planned.records);
    const report: BatchReport = {
      batch: i + 1,
      batches: total,
      records: planned.records.length,
      firstSequenceNumber: first.dynamodb.SequenceNumber,
      lastSequenceNumber: last.dynamodb.SequenceNumber,
      ...(planned.origin !== undefined ? { origin: planned.origin } : {}),
      dryRun: !run.invoker,
    };
    if (!run.invoker) {
      report.event = event;
    } else {
      const outcome = await run.invoker.invoke(event);
      report.outcome = outcome;
      if (!outcome.ok) summary.failedBatches += 1;
      summary.failedRecords += outcome.batchItemFailures.length;
      if ((!outcome.ok || outcome.batchItemFailures.length > 0) && planned.origin !== undefined) {
        summary.failedOrigins.add(planned.origin);
      }
    }
    summary.batches += 1;
    summary.records += planned.records.length;
    run.onBatch?.(report);
  }
  return summary;
}
