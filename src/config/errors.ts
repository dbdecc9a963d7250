import { DdbIngestError } from '../errors.js';

/** Every code config throws; src/errorMessages.ts gives each its hint and exit code. */
export type ConfigErrorCode = 'config.invalid' | 'config.unreadable' | 'config.bad-json';

export class ConfigError extends DdbIngestError<ConfigErrorCode> {}
