import { DdbIngestError } from '../errors.js';

/** Every code seed throws; src/errorMessages.ts gives each its hint and exit code. */
export type SeedErrorCode =
  | 'seed.too-many-updates'
  | 'seed.too-many-deletes'
  | 'seed.writes-gave-up'
  /** Throttled (or items left unprocessed) through every attempt. */
  | 'seed.write-failed'
  /** The writes could not reach DynamoDB or were refused for the connection (details.failure: the AwsError code). */
  | 'seed.aws-failure'
  /** The table to seed does not exist where the writes went. */
  | 'seed.table-missing'
  /** DynamoDB refused the items themselves (ValidationException: a key that does not match the table's). */
  | 'seed.write-rejected'
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
