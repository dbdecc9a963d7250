import { DdbIngestError } from '../errors.js';

/** Every code verify throws; src/errorMessages.ts gives each its hint and exit code. */
export type VerifyErrorCode =
  | 'verify.local-key-unreadable'
  | 'verify.ssm-key-missing'
  | 'verify.ssm-key-denied'
  | 'verify.ssm-key-unreadable'
  | 'verify.ssm-key-empty'
  | 'verify.table-missing';

export class VerifyError extends DdbIngestError<VerifyErrorCode> {}
