import { DdbIngestError } from '../errors.js';

/** Every code seed throws; src/errorMessages.ts gives each its hint and exit code. */
export type SeedErrorCode =
  | 'seed.too-many-updates'
  | 'seed.too-many-deletes'
  | 'seed.writes-gave-up'
  | 'seed.write-failed'
  | 'seed.generation-failed';

export class SeedError extends DdbIngestError<SeedErrorCode> {}
