/**
 * Packs the writes of one round into transactions: one conditional put per
 * item and one update per aggregate with the deltas of every item of the
 * group merged, because DynamoDB refuses two operations on one item in a
 * transaction. Transactions are far cheaper per item when large (on DynamoDB
 * Local, 2 items per transaction reach about 1,000 items/s, 32 items about
 * 3,400), and merging a customer's deltas saves actions, so items of one
 * aggregate are packed together when they fit.
 */
import type { CancellationReason, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { type AggregateDelta, aggregateUpdate, mergeDeltas } from './apply.js';
import type { PreparedRecord } from './prepare.js';

/** DynamoDB's limit of actions in one TransactWriteItems. */
export const MAX_TRANSACTION_ACTIONS = 100;

/** One record's write as the guard decided it. */
export interface Write {
  record: PreparedRecord;
  put: TransactWriteItem;
  deltas: Map<string, AggregateDelta>;
  /** Records its transaction may hold at most (halved after a cancellation, down to 1). */
  maxRecords: number;
}

export interface Group {
  writes: Write[];
  /** Merged aggregate updates with the writes that feed each. */
  aggregates: Map<string, { delta: AggregateDelta; writes: Write[] }>;
}

const actions = (group: Group) => group.writes.length + group.aggregates.size;

function fits(group: Group, write: Write, maxActions: number): boolean {
  if (group.writes.length >= Math.min(write.maxRecords, ...group.writes.map((w) => w.maxRecords)))
    return false;
  // An item key may appear once per transaction, as a put or as an aggregate.
  if (group.aggregates.has(write.record.key)) return false;
  for (const pk of write.deltas.keys()) if (group.writes.some((w) => w.record.key === pk)) return false;
  const added = [...write.deltas.keys()].filter((pk) => !group.aggregates.has(pk)).length;
  return actions(group) + 1 + added <= maxActions;
}

function add(group: Group, write: Write): void {
  group.writes.push(write);
  for (const [pk, delta] of write.deltas) {
    const current = group.aggregates.get(pk);
    if (current) {
      current.delta = mergeDeltas(current.delta, delta);
      current.writes.push(write);
    } else group.aggregates.set(pk, { delta, writes: [write] });
  }
}

/**
 * Writes of distinct item keys into groups of at most `maxActions` actions,
 * each write preferring the group that already updates its aggregates. A
 * write that needs more actions than allowed still gets a group of its own.
 */
export function packGroups(writes: readonly Write[], maxActions: number): Group[] {
  const groups: Group[] = [];
  for (const write of writes) {
    let best: Group | undefined;
    let bestShared = -1;
    for (const group of groups) {
      if (!fits(group, write, maxActions)) continue;
      const shared = [...write.deltas.keys()].filter((pk) => group.aggregates.has(pk)).length;
      if (shared > bestShared) {
        best = group;
        bestShared = shared;
      }
    }
    if (!best) {
      best = { writes: [], aggregates: new Map() };
      groups.push(best);
    }
    add(best, write);
  }
  return groups;
}

/** The transaction's actions: the puts in write order, then the aggregate updates. */
export function transactItems(group: Group, tableName: string): TransactWriteItem[] {
  const updates: TransactWriteItem[] = [];
  for (const [pk, { delta }] of group.aggregates) {
    // Deltas of several items can cancel out (an order moving between two customers and back).
    if ([...delta.counters.values()].some((value) => value.units !== 0n)) {
      updates.push(aggregateUpdate(tableName, pk, delta));
    }
  }
  return [...group.writes.map((write) => write.put), ...updates];
}

/** Why a write's part of a cancelled transaction failed; `None` when it was only cancelled along. */
export interface Blame {
  write: Write;
  /** The cancellation code of its put, else of the first of its aggregates that failed, else `None`. */
  code: string;
  /** The put itself failed: the item changed since it was read, so it must be read again. */
  itemChanged: boolean;
}

/**
 * Maps CancellationReasons (one per action, in order) back to the writes.
 * Undefined when the reasons do not line up with the actions, or name no
 * failed action: then nothing can be blamed and the caller splits the group.
 */
export function blame(
  group: Group,
  items: TransactWriteItem[],
  reasons: CancellationReason[],
): Blame[] | undefined {
  if (reasons.length !== items.length) return undefined;
  const failed = (code: string | undefined) => code !== undefined && code !== 'None';
  if (!reasons.some((reason) => failed(reason.Code))) return undefined;
  const codeOf = new Map<string, string>();
  reasons.slice(group.writes.length).forEach((reason, i) => {
    const pk = items[group.writes.length + i]?.Update?.Key?.pk?.S;
    if (pk !== undefined && failed(reason.Code)) codeOf.set(pk, reason.Code as string);
  });
  return group.writes.map((write, i) => {
    const own = reasons[i]?.Code;
    if (failed(own)) return { write, code: own as string, itemChanged: true };
    const aggregate = [...write.deltas.keys()].map((pk) => codeOf.get(pk)).find((code) => code !== undefined);
    return { write, code: aggregate ?? 'None', itemChanged: false };
  });
}
