import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';

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
