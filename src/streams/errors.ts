import { DdbIngestError } from '../errors.js';

/** Every code streams throws; src/errorMessages.ts gives each its hint and exit code. */
export type StreamsErrorCode =
  | 'streams.stream-not-found'
  | 'streams.shard-gone'
  | 'streams.no-iterator'
  | 'streams.shard-read-failed'
  | 'streams.table-missing'
  | 'streams.table-has-no-stream'
  | 'streams.wire-shape'
  | 'streams.sequence-not-in-stream';

export class StreamsError extends DdbIngestError<StreamsErrorCode> {}
