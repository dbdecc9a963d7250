// DynamoDB Local's own ceiling for the calls the handler makes: a two-item
// TransactWriteItems (order put + aggregate ADD, like the handler's) and a
// plain PutItem, one at a time and 16 at a time, on a fresh in-memory instance.
//   node bench/profile-ddblocal.mjs [calls]
import { PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { freshDynamo } from './lib.mjs';

const CALLS = Number(process.argv[2]) || 1000;

async function measure(name, concurrency, make, calls) {
  const db = await freshDynamo();
  try {
    // A fresh JVM is several times slower until its JIT has warmed up: the
    // first `calls` calls (other keys) are not measured.
    let warm = calls;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (warm < 2 * calls) await db.client.send(make(db.tables.sink, warm++));
      }),
    );
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < calls) await db.client.send(make(db.tables.sink, next++));
      }),
    );
    const perSecond = Math.round((calls * 1000) / (performance.now() - t0));
    return { name, concurrency, callsPerSecond: perSecond };
  } finally {
    await db.stop();
  }
}

const put = (table, i) =>
  new PutItemCommand({ TableName: table, Item: { pk: { S: `ORDER#${i}` }, v: { N: String(i) } } });
const transact = (table, i) =>
  new TransactWriteItemsCommand({
    TransactItems: [
      {
        Put: {
          TableName: table,
          Item: { pk: { S: `ORDER#${i}` }, v: { N: String(i) } },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: table,
          Key: { pk: { S: `CUSTOMER#${i % 250}` } },
          UpdateExpression: 'ADD orderCount :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        },
      },
    ],
  });

export async function profileDdbLocal(calls = CALLS) {
  const results = [];
  for (const [name, make] of [
    ['PutItem', put],
    ['TransactWriteItems (2 items)', transact],
  ]) {
    for (const concurrency of [1, 16]) results.push(await measure(name, concurrency, make, calls));
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await profileDdbLocal()) console.log(JSON.stringify(r));
  process.exit(0);
}
