import type { BatchVerdict } from './response.js';
import type { EsmSettings } from './settings.js';

/**
 * What happens to a batch once the function answered, by Lambda's rules for
 * stream sources. `succeeded` records at the front are done in every case.
 *  - done: the whole batch is done;
 *  - split: bisect the failing rest into two halves, retried on their own;
 *  - retry: invoke the failing rest again after the back-off;
 *  - discard: the failing rest goes to the on-failure destination.
 */
export type Decision =
  | { action: 'done' }
  | { action: 'split'; succeeded: number }
  | { action: 'retry'; succeeded: number }
  | { action: 'discard'; succeeded: number };

export interface BatchState {
  /** Records in the batch (a piece, after bisection). */
  records: number;
  /** Retries these records have used so far (a split uses none). */
  retries: number;
}

/** Pure: the verdict on an invocation decides the batch's fate; no I/O, no clock. */
export function decide(
  batch: BatchState,
  verdict: BatchVerdict,
  settings: Pick<EsmSettings, 'BisectBatchOnFunctionError' | 'MaximumRetryAttempts'>,
): Decision {
  if (verdict.kind === 'success') return { action: 'done' };
  const succeeded = verdict.kind === 'partial' ? verdict.failedFrom : 0;
  const failing = batch.records - succeeded;
  const functionError = verdict.kind === 'failure' ? verdict.functionError : null;
  // Bisection splits on function errors only: a partial response already says where the batch fails.
  if (functionError === 'Unhandled' && settings.BisectBatchOnFunctionError && failing > 1) {
    return { action: 'split', succeeded };
  }
  if (settings.MaximumRetryAttempts !== -1 && batch.retries >= settings.MaximumRetryAttempts) {
    return { action: 'discard', succeeded };
  }
  return { action: 'retry', succeeded };
}
