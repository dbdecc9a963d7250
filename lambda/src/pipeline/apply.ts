/**
 * The idempotent write: a record's change is applied to the sink only when its
 * sequence number is greater than the one the sink holds for that item, and
 * the item and its aggregates change in one transaction conditioned on the
 * item being exactly as read. Any delivery order, duplicate or replay of a
 * key's records therefore leaves the sink as one in-order delivery would.
 */
import {
  type DynamoDBClient,
  GetItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { addDecimals, type Decimal, formatDecimal, negateDecimal, parseDecimal } from '../lib/decimal.js';
import type { Contribution, DomainModel, Image } from './domain.js';
import type { StreamChange } from './records.js';

/** The one DynamoDB call surface the pipeline uses, so tests can wrap it. */
export type SinkClient = Pick<DynamoDBClient, 'send'>;

export interface ApplyOptions {
  ddb: SinkClient;
  /** Sink table name. */
  tableName: string;
  domain: DomainModel;
  secretKey: Buffer;
  /** Read-and-write rounds before a record fails when other writers keep winning (default 5). */
  maxAttempts?: number;
  /** Waits between rounds; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

export type ApplyOutcome =
  /** Written: the sink now reflects this record. */
  | 'applied'
  /** The sink already holds this very record (a retry, replay or duplicate). */
  | 'duplicate'
  /** The sink holds a later change of the item: this one is older and dropped. */
  | 'stale';

export interface ApplyResult {
  outcome: ApplyOutcome;
  /** Rounds used (more than 1 when a concurrent writer changed the item in between). */
  attempts: number;
}

/** The item's version field; the guard compares it as an integer (BigInt), never as text. */
export const SEQUENCE_ATTRIBUTE = 'lastSequenceNumber';
const DELETED_ATTRIBUTE = 'deleted';

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface AggregateDelta {
  attributes: Image;
  counters: Map<string, Decimal>;
}

function accumulate(deltas: Map<string, AggregateDelta>, contributions: Contribution[], sign: 1 | -1): void {
  for (const contribution of contributions) {
    const delta = deltas.get(contribution.pk) ?? { attributes: {}, counters: new Map() };
    Object.assign(delta.attributes, contribution.attributes);
    for (const [name, text] of Object.entries(contribution.counters)) {
      const value = parseDecimal(text);
      if (!value) throw new Error(`aggregate counter ${name} of ${contribution.pk} is not a decimal number`);
      const current = delta.counters.get(name) ?? { units: 0n, scale: 0 };
      delta.counters.set(name, addDecimals(current, sign === 1 ? value : negateDecimal(value)));
    }
    deltas.set(contribution.pk, delta);
  }
}

/** Net aggregate changes from the item's previous to its new state; unchanged aggregates are left out. */
export function aggregateDeltas(previous: Contribution[], next: Contribution[]): Map<string, AggregateDelta> {
  const deltas = new Map<string, AggregateDelta>();
  accumulate(deltas, previous, -1);
  accumulate(deltas, next, 1);
  for (const [pk, delta] of deltas) {
    if ([...delta.counters.values()].every((value) => value.units === 0n)) deltas.delete(pk);
  }
  return deltas;
}

/** The aggregate's part of a transaction: SET its attributes, ADD its counter deltas (also used by `verify --repair`). */
export function aggregateUpdate(tableName: string, pk: string, delta: AggregateDelta): TransactWriteItem {
  const names: Record<string, string> = {};
  const values: Image = {};
  const sets: string[] = [];
  const adds: string[] = [];
  Object.entries(delta.attributes).forEach(([name, value], i) => {
    names[`#s${i}`] = name;
    values[`:s${i}`] = value;
    sets.push(`#s${i} = :s${i}`);
  });
  // Every counter goes into ADD, zeros included, so a new aggregate has them all.
  [...delta.counters].forEach(([name, value], i) => {
    names[`#a${i}`] = name;
    values[`:a${i}`] = { N: formatDecimal(value) };
    adds.push(`#a${i} :a${i}`);
  });
  return {
    Update: {
      TableName: tableName,
      Key: { pk: { S: pk } },
      UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', `ADD ${adds.join(', ')}`]
        .filter(Boolean)
        .join(' '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** The put of the item's new state, conditioned on the sink item being as it was read. */
function itemPut(tableName: string, item: Image, stored: Image | undefined): TransactWriteItem {
  const storedSequence = stored?.[SEQUENCE_ATTRIBUTE]?.S;
  const condition =
    stored === undefined
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : storedSequence === undefined
        ? {
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#seq)',
            ExpressionAttributeNames: { '#seq': SEQUENCE_ATTRIBUTE },
          }
        : {
            ConditionExpression: '#seq = :seq',
            ExpressionAttributeNames: { '#seq': SEQUENCE_ATTRIBUTE },
            ExpressionAttributeValues: { ':seq': { S: storedSequence } },
          };
  return { Put: { TableName: tableName, Item: item, ...condition } };
}

function isWriteRace(err: unknown): boolean {
  if (!(err instanceof TransactionCanceledException)) return false;
  return (err.CancellationReasons ?? []).some(
    (reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict',
  );
}

/** Thrown when other writers kept changing the item for every attempt. */
export class WriteRaceError extends Error {
  constructor(pk: string, attempts: number) {
    super(
      `the sink item ${pk} kept changing under concurrent writers (${attempts} attempts); will be retried`,
    );
    this.name = 'WriteRaceError';
  }
}

/**
 * Applies one change to the sink. The previous state comes from the sink
 * itself (a consistent read), not from the record's OldImage: OldImage
 * describes the source before this change, which the sink may never have seen
 * when records arrive out of order.
 */
export async function applyChange(options: ApplyOptions, change: StreamChange): Promise<ApplyResult> {
  const { ddb, tableName, domain, secretKey } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const sleep = options.sleep ?? sleepMs;
  const pk = domain.itemKey(change.keys);
  // Projected before any I/O so a malformed record fails without touching the sink.
  const projected = change.newImage ? domain.project(change.newImage, { secretKey }) : undefined;
  const newItem: Image = projected
    ? { ...projected, pk: { S: pk }, [SEQUENCE_ATTRIBUTE]: { S: change.sequenceNumber } }
    : {
        pk: { S: pk },
        [DELETED_ATTRIBUTE]: { BOOL: true },
        [SEQUENCE_ATTRIBUTE]: { S: change.sequenceNumber },
      };
  const nextContributions = projected ? domain.contributions(newItem) : [];

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const read = await ddb.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    const stored = read.Item;
    const storedSequence = stored?.[SEQUENCE_ATTRIBUTE]?.S;
    if (storedSequence !== undefined) {
      const held = BigInt(storedSequence);
      if (held === change.sequence) return { outcome: 'duplicate', attempts: attempt };
      if (held > change.sequence) return { outcome: 'stale', attempts: attempt };
    }
    const live = stored !== undefined && stored[DELETED_ATTRIBUTE]?.BOOL !== true;
    const previousContributions = live ? domain.contributions(stored) : [];
    const deltas = aggregateDeltas(previousContributions, nextContributions);
    const writes: TransactWriteItem[] = [
      itemPut(tableName, newItem, stored),
      ...[...deltas].map(([aggregatePk, delta]) => aggregateUpdate(tableName, aggregatePk, delta)),
    ];
    try {
      await ddb.send(new TransactWriteItemsCommand({ TransactItems: writes }));
      return { outcome: 'applied', attempts: attempt };
    } catch (err) {
      if (!isWriteRace(err)) throw err;
      if (attempt < maxAttempts) await sleep(Math.floor(Math.random() * 20 * 2 ** attempt));
    }
  }
  throw new WriteRaceError(pk, maxAttempts);
}
