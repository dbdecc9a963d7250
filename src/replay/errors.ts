import { DdbIngestError } from '../errors.js';

/** Every code replay throws; src/errorMessages.ts gives each its hint and exit code. */
export type ReplayErrorCode =
  | 'replay.payload-too-large'
  | 'replay.function-not-found'
  | 'replay.bad-file'
  | 'replay.file-unreadable';

export class ReplayError extends DdbIngestError<ReplayErrorCode> {}
