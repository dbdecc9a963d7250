/**
 * Each record is parsed once, before any I/O, into everything the sink write
 * needs: the checked change, the sink key, the item it leaves behind and that
 * item's aggregate contributions. A malformed record fails here, alone.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import type { Contribution, DomainModel, Image } from './domain.js';
import { parseStreamRecord, type StreamChange } from './records.js';

/** The item's version field; the guard compares it as an integer (BigInt), never as text. */
export const SEQUENCE_ATTRIBUTE = 'lastSequenceNumber';
/** Marks a tombstone: a removed item kept so that older records cannot bring it back. */
export const DELETED_ATTRIBUTE = 'deleted';

export interface PreparedRecord {
  /** Position in the batch (for the partial batch response and logs). */
  index: number;
  change: StreamChange;
  /** The sink item's key (`pk`). */
  key: string;
  /** The sink item this record leaves: the projection or a tombstone, with `pk` and `lastSequenceNumber`. */
  item: Image;
  /** What `item` adds to aggregates (nothing for a tombstone). */
  contributions: Contribution[];
}

/** From a checked change; throws MalformedRecordError when the domain cannot project it. */
export function prepareChange(
  change: StreamChange,
  index: number,
  domain: DomainModel,
  secretKey: Buffer,
): PreparedRecord {
  const key = domain.itemKey(change.keys);
  const sequence = { S: change.sequenceNumber };
  if (!change.newImage) {
    return {
      index,
      change,
      key,
      item: { pk: { S: key }, [DELETED_ATTRIBUTE]: { BOOL: true }, [SEQUENCE_ATTRIBUTE]: sequence },
      contributions: [],
    };
  }
  const item: Image = {
    ...domain.project(change.newImage, { secretKey }),
    pk: { S: key },
    [SEQUENCE_ATTRIBUTE]: sequence,
  };
  return { index, change, key, item, contributions: domain.contributions(item) };
}

/** From the wire record; throws MalformedRecordError naming what is wrong. */
export function prepareRecord(
  record: DynamoDBRecord,
  index: number,
  domain: DomainModel,
  secretKey: Buffer,
): PreparedRecord {
  return prepareChange(parseStreamRecord(record), index, domain, secretKey);
}
