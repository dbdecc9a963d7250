import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { parseStack, parseStackModel } from '../../src/config/stack.js';
import { ensureModelTables, ensureTables } from '../../src/dynamo/tables.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';
import { SINGLE_TABLE_DESIGN } from '../helpers/stacks.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});

test('ensureTables creates the source with its stream and the sink, and is idempotent', async () => {
  const stack = parseStack({});
  const first = await ensureTables(dynamo.ddb, stack);
  expect(first.streamArn).toMatch(/^arn:aws:dynamodb:.*:table\/ddb-ingest-orders\/stream\//);
  const again = await ensureTables(dynamo.ddb, stack);
  expect(again).toEqual(first);
  const source = await dynamo.ddb.send(new DescribeTableCommand({ TableName: 'ddb-ingest-orders' }));
  expect(source.Table?.StreamSpecification).toEqual({
    StreamEnabled: true,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  });
  const sink = await dynamo.ddb.send(new DescribeTableCommand({ TableName: 'ddb-ingest-ingested' }));
  expect(sink.Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
});

test('a declared table gets its range key, GSI, LSI and TTL, as declared, and a second run changes nothing', async () => {
  const { model } = parseStackModel({
    tables: {
      'single-table': {
        ...SINGLE_TABLE_DESIGN,
        // A projection other than the default reaches DynamoDB too.
        global_secondary_indexes: [
          { ...SINGLE_TABLE_DESIGN.global_secondary_indexes[0], projection_type: 'KEYS_ONLY' },
        ],
      },
    },
  });
  const first = await ensureModelTables(dynamo.ddb, model);
  // No stream declared: none made, so no mapping can be pointed at it.
  expect(first).toEqual({ 'single-table': {} });
  expect(await ensureModelTables(dynamo.ddb, model)).toEqual(first);
  const { Table: table } = await dynamo.ddb.send(new DescribeTableCommand({ TableName: 'single-table' }));
  expect(table?.KeySchema).toEqual([
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ]);
  expect(table?.AttributeDefinitions).toEqual(
    expect.arrayContaining([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
      { AttributeName: 'createdAt', AttributeType: 'N' },
    ]),
  );
  expect(table?.StreamSpecification?.StreamEnabled ?? false).toBe(false);
  expect(table?.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.KeySchema, g.Projection])).toEqual([
    [
      'by-gsi1',
      [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'createdAt', KeyType: 'RANGE' },
      ],
      { ProjectionType: 'KEYS_ONLY' },
    ],
  ]);
  expect(table?.LocalSecondaryIndexes?.map((l) => [l.IndexName, l.KeySchema, l.Projection])).toEqual([
    [
      'by-created',
      [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'createdAt', KeyType: 'RANGE' },
      ],
      { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status'] },
    ],
  ]);
  expect(table?.DeletionProtectionEnabled).toBe(true);
  const ttl = await dynamo.ddb.send(new DescribeTimeToLiveCommand({ TableName: 'single-table' }));
  expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
});
