import { toCliError } from '../../src/errorMessages.js';

/**
 * What the user reads for the error `fn` throws: src/errorMessages.ts's
 * rendering of a module error (a UsageError or RuntimeError with its hint), or
 * the error itself when there is no rendering (so an instanceof check fails).
 */
export function shownError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return toCliError(err) ?? err;
  }
  throw new Error('expected an error');
}

/** shownError for a promise. */
export async function shownRejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return toCliError(err) ?? err;
  }
  throw new Error('expected a rejection');
}
