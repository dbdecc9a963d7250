import { DdbIngestError } from '../errors.js';

/** Every code bundle throws; src/errorMessages.ts gives each its hint and exit code. */
export type BundleErrorCode =
  | 'bundle.entry-missing'
  | 'bundle.build-failed'
  | 'bundle.export-missing'
  | 'bundle.format-mismatch';

export class BundleError extends DdbIngestError<BundleErrorCode> {}
