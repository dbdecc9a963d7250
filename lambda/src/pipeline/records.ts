import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, AttributeValue as WireAttributeValue } from 'aws-lambda';
import { type Image, MalformedRecordError } from './domain.js';

export type EventName = 'INSERT' | 'MODIFY' | 'REMOVE';

/** A stream record checked and converted for the pipeline. */
export interface StreamChange {
  eventID: string;
  eventName: EventName;
  /** As delivered: the identifier reported in `batchItemFailures`. */
  sequenceNumber: string;
  /** The same number for comparisons: sequence numbers are only ordered as integers. */
  sequence: bigint;
  keys: Image;
  /** Present for INSERT and MODIFY. */
  newImage?: Image;
  /** Epoch seconds the change entered the stream, when the record says. */
  approximateCreationDateTime?: number;
}

/** What the logs may say about a record: identifiers only, never its images. */
export interface RecordContext {
  eventID?: string;
  eventName?: string;
  key?: string;
  sequenceNumber?: string;
}

const SEQUENCE_NUMBER = /^\d{1,64}$/;

/**
 * The event carries the wire form, where binary values are base64 strings;
 * the SDK (and so the sink writes) wants bytes.
 */
export function fromWire(value: WireAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B, 'base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b, 'base64')) };
  if (value.L !== undefined) return { L: value.L.map(fromWire) };
  if (value.M !== undefined) return { M: imageFromWire(value.M) };
  return value as AttributeValue;
}

export function imageFromWire(image: Record<string, WireAttributeValue>): Image {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, fromWire(value)]));
}

/** Checks the parts of a record the pipeline relies on; throws MalformedRecordError. */
export function parseStreamRecord(record: DynamoDBRecord): StreamChange {
  const { eventID, eventName, dynamodb } = record;
  if (!eventID) throw new MalformedRecordError('eventID is missing');
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') {
    throw new MalformedRecordError(`eventName must be INSERT, MODIFY or REMOVE, not ${String(eventName)}`);
  }
  if (!dynamodb) throw new MalformedRecordError('dynamodb is missing');
  const sequenceNumber = dynamodb.SequenceNumber;
  if (!sequenceNumber || !SEQUENCE_NUMBER.test(sequenceNumber)) {
    throw new MalformedRecordError('dynamodb.SequenceNumber is missing or not a decimal string');
  }
  if (!dynamodb.Keys || Object.keys(dynamodb.Keys).length === 0) {
    throw new MalformedRecordError('dynamodb.Keys is missing');
  }
  if (eventName !== 'REMOVE' && !dynamodb.NewImage) {
    throw new MalformedRecordError(
      `dynamodb.NewImage is missing from a ${eventName} record (the stream needs NEW_IMAGE or NEW_AND_OLD_IMAGES)`,
    );
  }
  const created = dynamodb.ApproximateCreationDateTime;
  return {
    eventID,
    eventName,
    sequenceNumber,
    sequence: BigInt(sequenceNumber),
    keys: imageFromWire(dynamodb.Keys),
    ...(eventName !== 'REMOVE' && dynamodb.NewImage ? { newImage: imageFromWire(dynamodb.NewImage) } : {}),
    ...(typeof created === 'number' && Number.isFinite(created)
      ? { approximateCreationDateTime: created }
      : {}),
  };
}

/** Log context for a record, however malformed it is. */
export function recordContext(record: DynamoDBRecord, itemKey: (keys: Image) => string): RecordContext {
  let key: string | undefined;
  try {
    if (record.dynamodb?.Keys) key = itemKey(imageFromWire(record.dynamodb.Keys));
  } catch {
    key = undefined;
  }
  return {
    ...(record.eventID ? { eventID: record.eventID } : {}),
    ...(record.eventName ? { eventName: record.eventName } : {}),
    ...(key ? { key } : {}),
    ...(record.dynamodb?.SequenceNumber ? { sequenceNumber: record.dynamodb.SequenceNumber } : {}),
  };
}

/** Log context for a parsed record: the same fields, from what was parsed once. */
export function changeContext(change: StreamChange, key: string): RecordContext {
  return { eventID: change.eventID, eventName: change.eventName, key, sequenceNumber: change.sequenceNumber };
}
