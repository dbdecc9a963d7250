/**
 * Consistent reads of many sink items at once: BatchGetItem, 100 keys a call,
 * instead of one GetItem per record. Safe to read ahead because every write is
 * conditioned on the item being exactly as read: if another writer changes it
 * after this read, the write is refused and only that item is read again.
 * Keys left unprocessed are asked again; if BatchGetItem itself fails, the
 * keys are read one by one, so a failed batch read only costs the saving.
 */
import { BatchGetItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { forEachConcurrent } from '../lib/concurrency.js';
import type { SinkClient } from './apply.js';
import type { Image } from './domain.js';

/** BatchGetItem's limit of keys per call. */
const BATCH_GET_KEYS = 100;
/** Calls for keys BatchGetItem leaves unprocessed (throttling) before they are read one by one. */
const UNPROCESSED_ROUNDS = 3;

export type ReadResult = { found: true; item: Image | undefined } | { found: false; error: unknown };

/** Reads `pks` (the sink's key attribute is `pk`); every key gets a result, a failed read its error. */
export async function readSinkItems(
  ddb: SinkClient,
  tableName: string,
  pks: readonly string[],
  concurrency: number,
): Promise<Map<string, ReadResult>> {
  const results = new Map<string, ReadResult>();
  const unique = [...new Set(pks)];
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) chunks.push(unique.slice(i, i + BATCH_GET_KEYS));
  const oneByOne: string[] = [];
  await forEachConcurrent(chunks, concurrency, async (chunk) => {
    if (chunk.length === 1) {
      oneByOne.push(...chunk);
      return;
    }
    let todo = chunk;
    try {
      for (let round = 0; round < UNPROCESSED_ROUNDS && todo.length > 0; round++) {
        const out = await ddb.send(
          new BatchGetItemCommand({
            RequestItems: {
              [tableName]: { Keys: todo.map((pk) => ({ pk: { S: pk } })), ConsistentRead: true },
            },
          }),
        );
        const unprocessed = new Set(
          (out.UnprocessedKeys?.[tableName]?.Keys ?? []).flatMap((key) => (key.pk?.S ? [key.pk.S] : [])),
        );
        const found = new Map((out.Responses?.[tableName] ?? []).map((item) => [item.pk?.S, item]));
        for (const pk of todo)
          if (!unprocessed.has(pk)) results.set(pk, { found: true, item: found.get(pk) });
        todo = todo.filter((pk) => unprocessed.has(pk));
      }
    } catch {
      // Read one by one below: a record fails only if its own read fails.
    }
    oneByOne.push(...todo.filter((pk) => !results.has(pk)));
  });
  await forEachConcurrent(oneByOne, concurrency, async (pk) => {
    try {
      const out = await ddb.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
      );
      results.set(pk, { found: true, item: out.Item });
    } catch (error) {
      results.set(pk, { found: false, error });
    }
  });
  return results;
}
