import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { Stack } from '../config/stack.js';
import { type Clock, systemClock } from '../util/time.js';
import { DynamoError } from './errors.js';

export interface TablesInfo {
  source: string;
  sink: string;
  streamArn: string;
}

/** The table, or undefined when it does not exist. */
export async function describeTable(
  client: DynamoDBClient,
  name: string,
): Promise<TableDescription | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    return out.Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

async function waitActive(client: DynamoDBClient, name: string, clock: Clock): Promise<TableDescription> {
  for (let i = 0; i < 600; i++) {
    const table = await describeTable(client, name);
    if (table?.TableStatus === 'ACTIVE') return table;
    await clock.sleep(100);
  }
  throw new DynamoError('dynamo.table-not-active', `Table ${name} did not become ACTIVE.`, {
    details: { table: name },
  });
}

async function createIfMissing(
  client: DynamoDBClient,
  name: string,
  hashKey: string,
  streamViewType: string | undefined,
): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: hashKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: hashKey, KeyType: 'HASH' }],
        ...(streamViewType
          ? {
              StreamSpecification: {
                StreamEnabled: true,
                StreamViewType: streamViewType as 'NEW_AND_OLD_IMAGES',
              },
            }
          : {}),
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
}

/**
 * Creates the source table (with its stream) and the sink table from the stack
 * file unless they exist; safe to run again. Returns the stream ARN.
 */
export async function ensureTables(
  client: DynamoDBClient,
  stack: Stack,
  clock: Clock = systemClock,
): Promise<TablesInfo> {
  const { source_table: source, sink_table: sink } = stack;
  await createIfMissing(client, source.name, source.hash_key, source.stream_view_type);
  await createIfMissing(client, sink.name, sink.hash_key, undefined);
  const sourceDesc = await waitActive(client, source.name, clock);
  await waitActive(client, sink.name, clock);
  const streamArn = sourceDesc.LatestStreamArn;
  if (!streamArn || !sourceDesc.StreamSpecification?.StreamEnabled) {
    throw new DynamoError(
      'dynamo.source-without-stream',
      `Table ${source.name} exists but has no stream enabled.`,
      {
        details: { table: source.name, streamViewType: source.stream_view_type },
      },
    );
  }
  return { source: source.name, sink: sink.name, streamArn };
}
