import { DdbIngestError } from '../errors.js';

/** Every code esm throws; src/errorMessages.ts gives each its hint and exit code. */
export type EsmErrorCode =
  | 'esm.invalid-filter-pattern'
  | 'esm.too-many-filters'
  | 'esm.invalid-setting'
  | 'esm.invalid-starting-position'
  | 'esm.invalid-response-type';

export class EsmError extends DdbIngestError<EsmErrorCode> {}
