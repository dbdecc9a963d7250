import type { ShardIteratorType } from '@aws-sdk/client-dynamodb-streams';

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

/** What a shard reader knows when it needs a new iterator. */
export interface RecoveryState {
  /** Sequence number of the last record read (the reader's checkpoint). */
  position?: string;
  /** The checkpoint itself was trimmed: go to the oldest record held. */
  forceTrimHorizon: boolean;
  /** When the LATEST iterator was taken: recovery before the first record restarts there. */
  latestTakenAt?: number;
  /** Records before this point are skipped until the first one at or after it. */
  skipBefore?: { seconds?: number; sequence?: string };
}

export interface IteratorRequest {
  type: ShardIteratorType;
  sequenceNumber?: string;
}

export function floorToMinuteSeconds(ms: number): number {
  return Math.floor(ms / 60_000) * 60;
}

/**
 * The recovery rules, in one pure function: which iterator to ask for now,
 * and the state once it is asked for. Never LATEST after the first iterator:
 * a jump to the end would silently lose what was written in between.
 * Reporting where a recovery goes (`onRecover`) reads `.request` only.
 */
export function nextIterator(
  state: RecoveryState,
  start: ShardStart,
  now: number,
): { request: IteratorRequest; state: RecoveryState } {
  if (state.forceTrimHorizon) return { request: { type: 'TRIM_HORIZON' }, state };
  if (state.position) {
    return { request: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: state.position }, state };
  }
  switch (start.type) {
    case 'LATEST':
      if (state.latestTakenAt === undefined) {
        return { request: { type: 'LATEST' }, state: { ...state, latestTakenAt: now } };
      }
      // Nothing read yet and the LATEST iterator failed: re-scan from the
      // oldest record, skipping what came before the first iterator.
      return {
        request: { type: 'TRIM_HORIZON' },
        state: { ...state, skipBefore: { seconds: floorToMinuteSeconds(state.latestTakenAt) } },
      };
    case 'AT_SEQUENCE_NUMBER':
      if (state.skipBefore?.sequence !== undefined) return { request: { type: 'TRIM_HORIZON' }, state };
      return { request: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: start.sequenceNumber }, state };
    default:
      return { request: { type: 'TRIM_HORIZON' }, state };
  }
}
