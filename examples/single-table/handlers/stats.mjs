// Keeps one STATS item per customer in the same table: orders placed,
// orders cancelled, revenue. The mapping's filter hands over only what counts:
// an order created (INSERT on an ORDER# item) and an order deleted by someone
// (REMOVE without a userIdentity). Orders that expire through TTL are deleted by
// DynamoDB itself, marked userIdentity {type: Service, principalId:
// dynamodb.amazonaws.com}; the filter drops them, so old orders leaving the
// table do not count as cancellations. The filter also keeps this function
// from reading its own STATS writes, which arrive on the same stream.
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});
// ddb-ingest gives each function the names of its `tables` as TABLE_<NAME>.
const SHOP = process.env.TABLE_SHOP;

function changeOf(record) {
  const image = record.eventName === 'REMOVE' ? record.dynamodb.OldImage : record.dynamodb.NewImage;
  const total = Number(image?.total?.N ?? 0);
  return record.eventName === 'REMOVE' ? { cancelled: 1, revenue: -total } : { placed: 1, revenue: total };
}

export const handler = async (event) => {
  const batchItemFailures = [];
  for (const record of event.Records) {
    const change = changeOf(record);
    const names = Object.keys(change);
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: SHOP,
          Key: { pk: record.dynamodb.Keys.pk, sk: { S: 'STATS' } },
          UpdateExpression: `ADD ${names.map((n) => `#${n} :${n}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
          ExpressionAttributeValues: Object.fromEntries(
            names.map((n) => [`:${n}`, { N: String(change[n]) }]),
          ),
        }),
      );
    } catch (err) {
      console.error(
        JSON.stringify({
          level: 'ERROR',
          message: 'stats not updated',
          key: record.dynamodb.Keys,
          error: String(err),
        }),
      );
      // Everything from this record on is retried; what came before is counted.
      batchItemFailures.push({ itemIdentifier: record.dynamodb.SequenceNumber });
      break;
    }
  }
  return { batchItemFailures };
};
