import { DdbIngestError } from '../errors.js';

/** Every code config throws; src/errorMessages.ts gives each its hint and exit code. */
export type ConfigErrorCode =
  | 'config.invalid'
  | 'config.unreadable'
  | 'config.bad-json'
  | 'config.function-required'
  | 'config.unknown-function'
  | 'config.table-required'
  | 'config.unknown-table'
  | 'config.table-without-stream'
  | 'config.pipeline-required';

export class ConfigError extends DdbIngestError<ConfigErrorCode> {}
