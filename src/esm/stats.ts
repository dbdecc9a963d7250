import type { EsmEvent } from './shardProcessor.js';

/** The mapping's running totals, as `status` shows them (and `esm/status.json` stores them). */
export interface EsmStats {
  /** Lambda's wording: `OK`, `No records processed` or `PROBLEM: Function call failed`. */
  lastProcessingResult: 'OK' | 'No records processed' | 'PROBLEM: Function call failed';
  /** IteratorAge of the last invocation, ms; null before the first. */
  iteratorAgeMs: number | null;
  /** Records the handler accepted (checkpointed after an invocation). */
  recordsProcessed: number;
  /** Records the filters skipped. */
  recordsFiltered: number;
  /** Records sent to the on-failure destination. */
  recordsDiscarded: number;
  /** Invocations that failed in whole or in part. */
  batchesFailed: number;
  batchesInvoked: number;
  /** Epoch ms of the last invocation; null before the first. */
  lastInvokedAt: number | null;
  /** Per shard: the last checkpointed sequence number. */
  checkpoints: Record<string, string>;
  /** Per open shard: whether its last poll found it read to the end and fully processed. */
  shardsCaughtUp: Record<string, boolean>;
  /** Every open shard is caught up: nothing waits in the stream for the function. */
  caughtUp: boolean;
  /** Epoch ms since when the mapping has been caught up; null while it is behind. */
  caughtUpSince: number | null;
}

export function emptyEsmStats(): EsmStats {
  return {
    lastProcessingResult: 'No records processed',
    iteratorAgeMs: null,
    recordsProcessed: 0,
    recordsFiltered: 0,
    recordsDiscarded: 0,
    batchesFailed: 0,
    batchesInvoked: 0,
    lastInvokedAt: null,
    checkpoints: {},
    shardsCaughtUp: {},
    caughtUp: false,
    caughtUpSince: null,
  };
}

/** Folds one processor event into the totals (mutates and returns `stats`). */
export function applyEsmEvent(stats: EsmStats, event: EsmEvent): EsmStats {
  switch (event.type) {
    case 'invoked':
      stats.batchesInvoked++;
      stats.recordsProcessed += event.recordsSucceeded;
      stats.iteratorAgeMs = event.iteratorAgeMs;
      stats.lastInvokedAt = event.at;
      if (event.result === 'OK') {
        stats.lastProcessingResult = 'OK';
      } else {
        stats.batchesFailed++;
        stats.lastProcessingResult = 'PROBLEM: Function call failed';
      }
      break;
    case 'filtered':
      stats.recordsFiltered += event.count;
      break;
    case 'discarded':
      stats.recordsDiscarded += event.message.DDBStreamBatchInfo.batchSize;
      break;
    case 'checkpoint':
      stats.checkpoints[event.shardId] = event.sequenceNumber;
      break;
    case 'position': {
      if (event.ended) delete stats.shardsCaughtUp[event.shardId];
      else stats.shardsCaughtUp[event.shardId] = event.caughtUp;
      const shards = Object.values(stats.shardsCaughtUp);
      const caughtUp = shards.length > 0 ? shards.every(Boolean) : event.ended === true;
      stats.caughtUpSince = caughtUp ? (stats.caughtUp ? stats.caughtUpSince : event.at) : null;
      stats.caughtUp = caughtUp;
      break;
    }
  }
  return stats;
}
