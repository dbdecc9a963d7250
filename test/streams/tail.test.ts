import { formatChange } from '../../src/streams/tail.js';
import type { WireRecord } from '../../src/streams/wire.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

const base = {
  eventID: 'e',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  eventSourceARN: 'arn',
} as const;

test('formatChange shows MODIFY as old -> new for changed attributes only', () => {
  const record: WireRecord = {
    ...base,
    eventName: 'MODIFY',
    dynamodb: {
      ApproximateCreationDateTime: NOW / 1000,
      Keys: { orderId: { S: 'o-1' } },
      OldImage: { orderId: { S: 'o-1' }, status: { S: 'NEW' }, total: { N: '10' }, gone: { BOOL: true } },
      NewImage: {
        orderId: { S: 'o-1' },
        status: { S: 'PAID' },
        total: { N: '10' },
        note: { S: 'x'.repeat(80) },
      },
      SequenceNumber: '1',
      SizeBytes: 10,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
  const line = formatChange(record);
  expect(line).toMatchObject({ time: '2026-11-25T12:00:00.000Z', event: 'MODIFY', key: 'orderId=o-1' });
  expect(line.changes).toEqual([
    { name: 'gone', old: 'true' },
    { name: 'note', new: `"${'x'.repeat(58)}…` },
    { name: 'status', old: '"NEW"', new: '"PAID"' },
  ]);
  expect(line.text).toContain('status: "NEW" -> "PAID"');
  expect(line.text).not.toContain('total');
});

test('formatChange summarises INSERT and REMOVE images without the key', () => {
  const insert: WireRecord = {
    ...base,
    eventName: 'INSERT',
    dynamodb: {
      Keys: { orderId: { S: 'o-2' } },
      NewImage: {
        orderId: { S: 'o-2' },
        qty: { N: '3' },
        data: { B: 'AQI=' },
        m: { M: { a: { NULL: true } } },
      },
      SequenceNumber: '2',
      SizeBytes: 10,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
  expect(formatChange(insert)).toMatchObject({
    time: '',
    key: 'orderId=o-2',
    summary: 'qty=3 data="b64:AQI=" m={"a":null}',
    changes: [],
  });
  const remove: WireRecord = {
    ...base,
    eventName: 'REMOVE',
    dynamodb: {
      Keys: { orderId: { S: 'o-3' } },
      SequenceNumber: '3',
      SizeBytes: 5,
      StreamViewType: 'KEYS_ONLY',
    },
  };
  expect(formatChange(remove).text).toBe('REMOVE  orderId=o-3');
});

test('formatChange marks a REMOVE made by TTL, and only that one', () => {
  const remove = (userIdentity?: WireRecord['userIdentity']): WireRecord => ({
    ...base,
    eventName: 'REMOVE',
    ...(userIdentity ? { userIdentity } : {}),
    dynamodb: {
      Keys: { pk: { S: 's-1' } },
      SequenceNumber: '4',
      SizeBytes: 5,
      StreamViewType: 'KEYS_ONLY',
    },
  });
  const ttl = formatChange(remove({ type: 'Service', principalId: 'dynamodb.amazonaws.com' }));
  expect(ttl).toMatchObject({ mark: '(TTL)', text: 'REMOVE  (TTL)  pk=s-1' });
  expect(formatChange(remove()).mark).toBeUndefined();
  expect(formatChange(remove({ type: 'Service', principalId: 'other.amazonaws.com' })).mark).toBeUndefined();
});
