import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { pipelineModel, type StackModel, type TableModel } from '../config/model.js';
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
  const info = await ensureModelTables(client, pipelineModel(stack), clock);
  const streamArn = info[source.name]?.streamArn ?? '';
  return { source: source.name, sink: sink.name, streamArn };
}

/** What `ensureModelTables` leaves: every table, and the stream ARN of those with a stream. */
export type ModelTablesInfo = Record<string, { streamArn?: string }>;

/** CreateTable's input for a declared table: its keys, indexes, billing and stream. */
export function createTableInput(table: TableModel): CreateTableCommandInput {
  const provisioned = table.billing_mode === 'PROVISIONED';
  const throughput = (t: { read_capacity?: number | undefined; write_capacity?: number | undefined }) =>
    provisioned
      ? {
          ProvisionedThroughput: { ReadCapacityUnits: t.read_capacity, WriteCapacityUnits: t.write_capacity },
        }
      : {};
  const keys = (hash: string | undefined, range: string | undefined) => [
    ...(hash !== undefined ? [{ AttributeName: hash, KeyType: 'HASH' as const }] : []),
    ...(range !== undefined ? [{ AttributeName: range, KeyType: 'RANGE' as const }] : []),
  ];
  const projection = (index: { projection_type: string; non_key_attributes?: string[] | undefined }) => ({
    ProjectionType: index.projection_type as 'ALL' | 'KEYS_ONLY' | 'INCLUDE',
    ...(index.non_key_attributes ? { NonKeyAttributes: index.non_key_attributes } : {}),
  });
  return {
    TableName: table.name,
    BillingMode: table.billing_mode,
    ...throughput(table),
    AttributeDefinitions: Object.entries(table.attributes).map(([name, type]) => ({
      AttributeName: name,
      AttributeType: type,
    })),
    KeySchema: keys(table.hash_key, table.range_key),
    ...(table.global_secondary_indexes.length > 0
      ? {
          GlobalSecondaryIndexes: table.global_secondary_indexes.map((gsi) => ({
            IndexName: gsi.name,
            KeySchema: keys(gsi.hash_key, gsi.range_key),
            Projection: projection(gsi),
            ...throughput(gsi),
          })),
        }
      : {}),
    ...(table.local_secondary_indexes.length > 0
      ? {
          LocalSecondaryIndexes: table.local_secondary_indexes.map((lsi) => ({
            IndexName: lsi.name,
            KeySchema: keys(table.hash_key, lsi.range_key),
            Projection: projection(lsi),
          })),
        }
      : {}),
    ...(table.stream_view_type
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream_view_type } }
      : {}),
    ...(table.deletion_protection ? { DeletionProtectionEnabled: true } : {}),
  };
}

/**
 * Creates every table of the stack as declared (keys, indexes, stream, TTL)
 * unless it exists; safe to run again. An existing table is left as it is,
 * except that a declared TTL is turned on; one that lacks a declared stream
 * is an error, since no mapping could read it.
 */
export async function ensureModelTables(
  client: DynamoDBClient,
  model: Pick<StackModel, 'tables'>,
  clock: Clock = systemClock,
): Promise<ModelTablesInfo> {
  const tables = Object.values(model.tables);
  for (const table of tables) {
    try {
      await client.send(new CreateTableCommand(createTableInput(table)));
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
  }
  const info: ModelTablesInfo = {};
  for (const table of tables) {
    const desc = await waitActive(client, table.name, clock);
    if (table.stream_view_type) {
      if (!desc.LatestStreamArn || !desc.StreamSpecification?.StreamEnabled) {
        throw new DynamoError(
          'dynamo.source-without-stream',
          `Table ${table.name} exists but has no stream enabled.`,
          { details: { table: table.name, streamViewType: table.stream_view_type } },
        );
      }
      info[table.name] = { streamArn: desc.LatestStreamArn };
    } else {
      info[table.name] = {};
    }
    if (table.ttl_attribute !== undefined) await ensureTimeToLive(client, table.name, table.ttl_attribute);
  }
  return info;
}

async function ensureTimeToLive(client: DynamoDBClient, table: string, attribute: string): Promise<void> {
  const current = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
  const ttl = current.TimeToLiveDescription;
  if (ttl?.TimeToLiveStatus === 'ENABLED' && ttl.AttributeName === attribute) return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { Enabled: true, AttributeName: attribute },
    }),
  );
}
