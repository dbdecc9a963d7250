import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describeTable } from '../dynamo/tables.js';
import { StreamsError } from './errors.js';

/**
 * The table's current stream ARN (DescribeTable's LatestStreamArn). A missing
 * table and a table without a stream are RuntimeErrors that say what to do.
 */
export async function latestStreamArn(client: DynamoDBClient, tableName: string): Promise<string> {
  const table = await describeTable(client, tableName);
  if (!table) {
    throw new StreamsError('streams.table-missing', `Table ${tableName} does not exist.`, {
      details: { table: tableName },
    });
  }
  if (!table.LatestStreamArn || table.StreamSpecification?.StreamEnabled === false) {
    throw new StreamsError('streams.table-has-no-stream', `Table ${tableName} has no stream.`, {
      details: { table: tableName },
    });
  }
  return table.LatestStreamArn;
}
