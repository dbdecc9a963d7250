import { DdbIngestError } from '../errors.js';

/** Every code dynamo throws; src/errorMessages.ts gives each its hint and exit code. */
export type DynamoErrorCode = 'dynamo.table-not-active' | 'dynamo.source-without-stream';

export class DynamoError extends DdbIngestError<DynamoErrorCode> {}
