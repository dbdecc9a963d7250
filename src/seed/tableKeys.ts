import {
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { SeedError } from './errors.js';
import type { KeyType, TableKeys } from './template.js';

/**
 * The key schema of any existing table, as DynamoDB describes it: a template
 * can fill a table this tool did not create, and the keys always match the
 * table as it is.
 */
export async function describeTableKeys(client: DynamoDBClient, tableName: string): Promise<TableKeys> {
  let table: DescribeTableCommandOutput;
  try {
    table = await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') {
      throw new SeedError('seed.table-not-found', `There is no table ${tableName}.`, {
        cause: err,
        details: { table: tableName },
      });
    }
    throw err;
  }
  const schema = table.Table?.KeySchema ?? [];
  const types = new Map(
    (table.Table?.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]),
  );
  const key = (kind: 'HASH' | 'RANGE') => {
    const name = schema.find((k) => k.KeyType === kind)?.AttributeName;
    return name === undefined ? undefined : { name, type: (types.get(name) ?? 'S') as KeyType };
  };
  const hash = key('HASH');
  if (!hash) throw new Error(`DescribeTable of ${tableName} gave no partition key`);
  const range = key('RANGE');
  return range ? { hash, range } : { hash };
}
