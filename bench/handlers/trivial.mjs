// The trivial handler of the throughput benchmark: one PutItem per record,
// 16 in flight, no reads, no transactions, no logs per record. What the
// mapping and the runtime cost around a handler that does almost nothing.
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

const ddb = new DynamoDBClient({});
const CONCURRENCY = 16;

export const handler = async (event) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < event.Records.length) {
        const record = event.Records[next++];
        await ddb.send(
          new PutItemCommand({
            TableName: process.env.SINK_TABLE_NAME,
            Item: {
              pk: { S: `ORDER#${record.dynamodb.Keys.orderId.S}` },
              lastSequenceNumber: { S: record.dynamodb.SequenceNumber },
            },
          }),
        );
      }
    }),
  );
  return { batchItemFailures: [] };
};
