import { DdbIngestError } from '../errors.js';

/** Every code demo throws; src/errorMessages.ts gives each its hint and exit code. */
export type DemoErrorCode = 'demo.timeout';

export class DemoError extends DdbIngestError<DemoErrorCode> {}
