import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** A DynamoDB item or stream image in the low-level attribute-value form. */
export type Image = Record<string, AttributeValue>;

/**
 * A record the domain cannot turn into a sink change (missing key, bad value).
 * It fails alone: the pipeline reports it in `batchItemFailures` and logs the
 * message, so the message must name the problem but never quote PII.
 */
export class MalformedRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedRecordError';
  }
}

/** What a projection may need besides the image itself. */
export interface ProjectionContext {
  /** The pipeline's secret key (HMAC key for pseudonymising PII). */
  secretKey: Buffer;
}

/**
 * One item's share of an aggregate: the pipeline adds the contribution of an
 * item's new state and subtracts that of its previous state in the sink, so an
 * aggregate always equals the sum over the items that currently exist.
 */
export interface Contribution {
  /** The aggregate item's key (`pk`). */
  pk: string;
  /** Attributes identifying the aggregate, written with SET (e.g. customerId). */
  attributes: Image;
  /** Counters added with ADD: name -> exact decimal string. */
  counters: Record<string, string>;
}

/**
 * Everything the stream plumbing needs from the business domain. Swap this
 * object to ingest another shape of data: batching, the sequence-number guard,
 * transactions, retries, logging and metrics stay as they are.
 */
export interface DomainModel {
  /** The sink key (`pk`) of the item the record's source item maps to, from the stream `Keys`. */
  itemKey(keys: Image): string;
  /**
   * The sink item (without `pk` and `lastSequenceNumber`, which the pipeline
   * adds) for a source item's new image. Pure; throws MalformedRecordError.
   */
  project(newImage: Image, context: ProjectionContext): Image;
  /** The aggregate contributions of a live (non-tombstone) sink item as stored. */
  contributions(sinkItem: Image): Contribution[];
}
