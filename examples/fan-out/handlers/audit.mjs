// An audit trail: one item per order status change (the mapping's filter lets
// through only MODIFYs that carry a status, and REMOVEs) and per customer change.
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});
const APP = process.env.TABLE_FANOUT_APP;

function entryOf(record) {
  const table = record.eventSourceARN.split('/')[1];
  const { NewImage: next, OldImage: previous, Keys } = record.dynamodb;
  if (table === 'fanout-customers') {
    const id = Keys.customerId.S;
    return { pk: `AUDIT#CUSTOMER#${id}`, what: `customer ${record.eventName.toLowerCase()}` };
  }
  const id = Keys.orderId.S;
  if (record.eventName === 'REMOVE') return { pk: `AUDIT#ORDER#${id}`, what: 'order deleted' };
  // A MODIFY that left the status as it was is no status change: the filter cannot compare images.
  if (previous?.status?.S === next?.status?.S) return undefined;
  return { pk: `AUDIT#ORDER#${id}`, what: `${previous?.status?.S ?? '-'} -> ${next?.status?.S}` };
}

export const handler = async (event) => {
  for (const record of event.Records) {
    const entry = entryOf(record);
    if (!entry) continue;
    await client.send(
      new PutItemCommand({
        TableName: APP,
        Item: {
          pk: { S: entry.pk },
          sk: { S: record.dynamodb.SequenceNumber.padStart(40, '0') },
          what: { S: entry.what },
          at: { N: String(record.dynamodb.ApproximateCreationDateTime) },
        },
      }),
    );
  }
};
