import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describeTable } from '../dynamo/tables.js';
import { RuntimeError } from '../errors.js';

/**
 * The table's current stream ARN (DescribeTable's LatestStreamArn). A missing
 * table and a table without a stream are RuntimeErrors that say what to do.
 */
export async function latestStreamArn(client: DynamoDBClient, tableName: string): Promise<string> {
  const table = await describeTable(client, tableName);
  if (!table) {
    throw new RuntimeError(
      `Table ${tableName} does not exist.`,
      'Deploy the stack (`ddb-ingest up`), and check --target, --region and --profile.',
    );
  }
  if (!table.LatestStreamArn || table.StreamSpecification?.StreamEnabled === false) {
    throw new RuntimeError(
      `Table ${tableName} has no stream.`,
      'Enable a NEW_AND_OLD_IMAGES stream on the source table (`ddb-ingest up` creates it with one).',
    );
  }
  return table.LatestStreamArn;
}
