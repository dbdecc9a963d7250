// Projects every order change into the single-table app store:
// pk ORDER#<id>, sk ORDER, and the customer's GSI key, so orders are found by customer.
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});
// ddb-ingest gives each function the names of its `tables` as TABLE_<NAME>.
const APP = process.env.TABLE_FANOUT_APP;

export const handler = async (event) => {
  const batchItemFailures = [];
  for (const record of event.Records) {
    const orderId = record.dynamodb.Keys.orderId.S;
    try {
      if (record.eventName === 'REMOVE') {
        await client.send(
          new DeleteItemCommand({
            TableName: APP,
            Key: { pk: { S: `ORDER#${orderId}` }, sk: { S: 'ORDER' } },
          }),
        );
        continue;
      }
      const image = record.dynamodb.NewImage;
      await client.send(
        new PutItemCommand({
          TableName: APP,
          Item: {
            pk: { S: `ORDER#${orderId}` },
            sk: { S: 'ORDER' },
            gsi1pk: { S: `CUSTOMER#${image.customerId?.S ?? 'unknown'}` },
            status: { S: image.status?.S ?? 'UNKNOWN' },
            sequence: { S: record.dynamodb.SequenceNumber },
          },
        }),
      );
    } catch (err) {
      console.error(
        JSON.stringify({ level: 'ERROR', message: 'order not projected', orderId, error: String(err) }),
      );
      batchItemFailures.push({ itemIdentifier: record.dynamodb.SequenceNumber });
      break;
    }
  }
  return { batchItemFailures };
};
