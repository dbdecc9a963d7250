/**
 * The sequence-number guard and the writes it decides on. A record's change is
 * written only when its sequence number is greater than the one the sink holds
 * for the item, as a put conditioned on the item being exactly as read, with
 * the aggregates' deltas from the item's previous to its new state. Any
 * delivery order, duplicate or replay of a key's records therefore leaves the
 * sink as one in-order delivery would. How writes are grouped into
 * transactions and retried lives in applyBatch.ts.
 */
import type { DynamoDBClient, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { addDecimals, type Decimal, formatDecimal, negateDecimal, parseDecimal } from '../lib/decimal.js';
import type { Contribution, DomainModel, Image } from './domain.js';
import { DELETED_ATTRIBUTE, type PreparedRecord, SEQUENCE_ATTRIBUTE } from './prepare.js';

export { SEQUENCE_ATTRIBUTE };

/** The one DynamoDB call surface the pipeline uses, so tests can wrap it. */
export type SinkClient = Pick<DynamoDBClient, 'send'>;

export type ApplyOutcome =
  /** Written: the sink now reflects this record. */
  | 'applied'
  /** The sink already holds this very record (a retry, replay or duplicate). */
  | 'duplicate'
  /** The sink holds a later change of the item: this one is older and dropped. */
  | 'stale';

export interface ApplyResult {
  outcome: ApplyOutcome;
  /** Reads of the item used (more than 1 when a concurrent writer changed it in between). */
  attempts: number;
}

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

const isZero = (delta: AggregateDelta) => [...delta.counters.values()].every((value) => value.units === 0n);

/** Net aggregate changes from the item's previous to its new state; unchanged aggregates are left out. */
export function aggregateDeltas(previous: Contribution[], next: Contribution[]): Map<string, AggregateDelta> {
  const deltas = new Map<string, AggregateDelta>();
  accumulate(deltas, previous, -1);
  accumulate(deltas, next, 1);
  for (const [pk, delta] of deltas) if (isZero(delta)) deltas.delete(pk);
  return deltas;
}

/** The sum of two deltas of one aggregate (several items of a group feeding one customer). */
export function mergeDeltas(a: AggregateDelta, b: AggregateDelta): AggregateDelta {
  const counters = new Map(a.counters);
  for (const [name, value] of b.counters) {
    counters.set(name, addDecimals(counters.get(name) ?? { units: 0n, scale: 0 }, value));
  }
  return { attributes: { ...a.attributes, ...b.attributes }, counters };
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
export function itemPut(tableName: string, item: Image, stored: Image | undefined): TransactWriteItem {
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

/** What the guard decides for a record given the sink item as read. */
export type Decision =
  | { outcome: 'duplicate' | 'stale' }
  | { outcome: 'write'; put: TransactWriteItem; deltas: Map<string, AggregateDelta> };

/**
 * The previous state comes from the sink itself (a consistent read or the
 * state this invocation just wrote), not from the record's OldImage: OldImage
 * describes the source before this change, which the sink may never have seen
 * when records arrive out of order.
 */
export function decide(
  record: PreparedRecord,
  stored: Image | undefined,
  domain: DomainModel,
  tableName: string,
): Decision {
  const storedSequence = stored?.[SEQUENCE_ATTRIBUTE]?.S;
  if (storedSequence !== undefined) {
    const held = BigInt(storedSequence);
    if (held === record.change.sequence) return { outcome: 'duplicate' };
    if (held > record.change.sequence) return { outcome: 'stale' };
  }
  const live = stored !== undefined && stored[DELETED_ATTRIBUTE]?.BOOL !== true;
  const previous = live ? domain.contributions(stored) : [];
  return {
    outcome: 'write',
    put: itemPut(tableName, record.item, stored),
    deltas: aggregateDeltas(previous, record.contributions),
  };
}
