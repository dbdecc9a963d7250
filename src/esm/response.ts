import type { InvokeOutcome } from '../runtime/invokeOutcome.js';

/**
 * What a handler's answer means for its batch, following Lambda's rules for
 * stream event sources (partial batch responses included).
 */
export type BatchVerdict =
  /** Every record is done: the checkpoint moves past the batch. */
  | { kind: 'success' }
  /**
   * Records before `failedFrom` (an index into the batch) are done; that record
   * and all after it are retried. `failedFrom` 0 fails the whole batch, but the
   * function itself did not error.
   */
  | { kind: 'partial'; failedFrom: number }
  /** The whole batch failed. `functionError` is null when the function returned normally. */
  | { kind: 'failure'; functionError: 'Unhandled' | null; detail: string };

/** A handler's response read as a partial batch response. */
export type PartialBatchResponse =
  | { kind: 'success' }
  /**
   * `failed`: the reported identifiers, as given (each a sequence number of the
   * batch); `failedFrom`: the batch index of the lowest, where a retry starts.
   */
  | { kind: 'partial'; failedFrom: number; failed: string[] }
  /** Not readable as a success or a list of records of this batch: the whole batch fails. */
  | { kind: 'invalid'; detail: string };

/**
 * The one reading of a partial batch response, used by the event source
 * mapping and by replay (so replay never reports ok where the mapping fails
 * the batch), for `sequenceNumbers` (the batch, in order).
 *
 * Success: nothing, `null`, `{}`, `[]`, `{batchItemFailures: []}` or
 * `{batchItemFailures: null}`. The lowest reported sequence number (compared
 * as integers) fails that record and the rest of the batch; an invalid
 * identifier (not a string, empty, null, a missing key, not in the batch)
 * fails the whole batch. Our conservative choice where AWS documents nothing:
 * a response that is not an object (a string, a number, a non-empty top-level
 * array) or whose `batchItemFailures` is not a list fails the whole batch,
 * since it cannot be read as a success.
 */
export function parsePartialBatchResponse(
  result: unknown,
  sequenceNumbers: readonly string[],
): PartialBatchResponse {
  if (result === undefined || result === null) return { kind: 'success' };
  if (Array.isArray(result)) {
    return result.length === 0 ? { kind: 'success' } : invalid('the response is a non-empty array');
  }
  if (typeof result !== 'object') return invalid(`the response is a ${typeof result}`);
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return invalid('batchItemFailures is not a list');
  if (failures.length === 0) return { kind: 'success' };

  const position = new Map(sequenceNumbers.map((seq, index) => [seq, index]));
  const failed: string[] = [];
  let lowest: { seq: bigint; index: number } | undefined;
  for (const failure of failures) {
    const id =
      typeof failure === 'object' && failure !== null
        ? (failure as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '') {
      return invalid(`invalid itemIdentifier ${JSON.stringify(id) ?? 'undefined'}`);
    }
    const index = position.get(id);
    if (index === undefined) return invalid(`itemIdentifier ${id} is not a sequence number of this batch`);
    failed.push(id);
    const seq = BigInt(id);
    if (lowest === undefined || seq < lowest.seq) lowest = { seq, index };
  }
  // Sequence numbers rise along the batch, but the batch index is what we cut at.
  return { kind: 'partial', failedFrom: (lowest as { index: number }).index, failed };
}

function invalid(detail: string): PartialBatchResponse {
  return { kind: 'invalid', detail: `Invalid partial batch response: ${detail}` };
}

/**
 * Interprets an invocation outcome for `sequenceNumbers` (the batch, in
 * order): a function error fails the batch; without `reportBatchItemFailures`
 * the response is ignored; with it, {@link parsePartialBatchResponse} decides.
 */
export function interpretResponse(
  outcome: InvokeOutcome,
  sequenceNumbers: readonly string[],
  reportBatchItemFailures: boolean,
): BatchVerdict {
  if (!outcome.ok) {
    return {
      kind: 'failure',
      functionError: 'Unhandled',
      detail: `${outcome.errorType}: ${outcome.errorMessage}`,
    };
  }
  if (!reportBatchItemFailures) return { kind: 'success' };
  const response = parsePartialBatchResponse(outcome.result, sequenceNumbers);
  if (response.kind === 'invalid') return { kind: 'failure', functionError: null, detail: response.detail };
  if (response.kind === 'partial') return { kind: 'partial', failedFrom: response.failedFrom };
  return response;
}
