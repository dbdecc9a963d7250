import { DdbIngestError } from '../errors.js';

/** Every code seed throws; src/errorMessages.ts gives each its hint and exit code. */
export type SeedErrorCode =
  | 'seed.too-many-updates'
  | 'seed.too-many-deletes'
  | 'seed.writes-gave-up'
  | 'seed.write-failed'
  | 'seed.generation-failed'
  | 'seed.table-not-found'
  | 'seed.template-unreadable'
  | 'seed.template-invalid-json'
  | 'seed.template-not-object'
  | 'seed.template-missing-key'
  | 'seed.template-constant-key'
  | 'seed.template-bad-key'
  | 'seed.template-bad-value'
  | 'seed.template-bad-expression'
  | 'seed.template-not-a-number';

export class SeedError extends DdbIngestError<SeedErrorCode> {}
