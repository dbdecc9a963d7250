/**
 * The only order the sink depends on is the order of one item's records: the
 * guard and the aggregate deltas are per item. So a batch is cut into rounds:
 * round n holds the n-th record of every item key, in batch order. A round is
 * applied (grouped into transactions) only after the previous one finished, so
 * the records of one key are applied strictly in stream order while the
 * records of different keys share transactions.
 */
export function keyRounds<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const rounds: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const key = keyOf(item);
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    const members = rounds[round] ?? [];
    members.push(item);
    rounds[round] = members;
  }
  return rounds;
}
