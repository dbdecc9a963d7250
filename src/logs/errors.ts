import { DdbIngestError } from '../errors.js';

/** Every code logs throws; src/errorMessages.ts gives each its hint and exit code. */
export type LogsErrorCode = 'logs.group-missing';

export class LogsError extends DdbIngestError<LogsErrorCode> {}
