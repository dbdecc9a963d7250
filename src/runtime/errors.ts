import { DdbIngestError } from '../errors.js';

/** Every code runtime throws; src/errorMessages.ts gives each its hint and exit code. */
export type LocalRuntimeErrorCode = 'runtime.worker-missing' | 'runtime.bundle-missing';

export class LocalRuntimeError extends DdbIngestError<LocalRuntimeErrorCode> {}
