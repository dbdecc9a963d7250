/**
 * The on-failure message Lambda sends for a discarded stream batch, in AWS's
 * exact shape and key order. It carries no record data: the records are read
 * back from the stream by their sequence numbers.
 */
export interface OnFailureMessage {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    /** Invocations of the discarded records: retries + 1 (0 when they expired before any). */
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: 200;
    executedVersion: '$LATEST';
    /** "Unhandled" when the last attempt was a function error; null for a failed partial response. */
    functionError: 'Unhandled' | null;
  };
  version: '1.0';
  /** When the batch was discarded, ISO 8601 with milliseconds. */
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    /** ISO 8601, whole seconds (`2026-01-02T03:04:05Z`). */
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

/** What {@link buildOnFailureMessage} needs to know about a discarded batch. */
export interface DiscardedBatch {
  requestId: string;
  functionArn: string;
  condition: OnFailureMessage['requestContext']['condition'];
  approximateInvokeCount: number;
  functionError: 'Unhandled' | null;
  /** Epoch ms of the discard. */
  now: number;
  shardId: string;
  streamArn: string;
  /** The discarded records, in stream order: sequence number and ApproximateCreationDateTime (epoch s). */
  records: readonly { sequenceNumber: string; approximateCreationDateTime: number }[];
}

/** `2026-01-02T03:04:05Z`: stream arrival times carry whole seconds. */
export function isoWholeSeconds(epochSeconds: number): string {
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function buildOnFailureMessage(batch: DiscardedBatch): OnFailureMessage {
  const first = batch.records[0];
  const last = batch.records[batch.records.length - 1];
  if (!first || !last) throw new Error('an on-failure message needs at least one record');
  return {
    requestContext: {
      requestId: batch.requestId,
      functionArn: batch.functionArn,
      condition: batch.condition,
      approximateInvokeCount: batch.approximateInvokeCount,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: batch.functionError },
    version: '1.0',
    timestamp: new Date(batch.now).toISOString(),
    DDBStreamBatchInfo: {
      shardId: batch.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: isoWholeSeconds(first.approximateCreationDateTime),
      approximateArrivalOfLastRecord: isoWholeSeconds(last.approximateCreationDateTime),
      batchSize: batch.records.length,
      streamArn: batch.streamArn,
    },
  };
}
