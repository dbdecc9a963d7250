import { UsageError } from '../../src/errors.js';
import { formatChange, parseTailOptions } from '../../src/streams/tail.js';
import type { WireRecord } from '../../src/streams/wire.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

test('tail options: defaults, start positions, limit, events', () => {
  expect(parseTailOptions({}, NOW)).toEqual({ from: { type: 'trim-horizon' }, follow: true });
  expect(parseTailOptions({ from: 'LATEST', follow: false }, NOW)).toEqual({
    from: { type: 'latest' },
    follow: false,
  });
  expect(parseTailOptions({ from: '2026-11-25T10:00:00Z' }, NOW).from).toEqual({
    type: 'time',
    time: Date.UTC(2026, 10, 25, 10),
  });
  expect(parseTailOptions({ from: '000000000000000000012' }, NOW).from).toEqual({
    type: 'sequence',
    sequenceNumber: '000000000000000000012',
  });
  expect(parseTailOptions({ limit: '5', event: ['insert,Modify', 'INSERT'] }, NOW)).toMatchObject({
    limit: 5,
    events: ['INSERT', 'MODIFY'],
  });
});

test('bad tail options say what was wrong and what is allowed', () => {
  const from = usage(() => parseTailOptions({ from: 'yesterday' }, NOW));
  expect(from.message).toBe('--from "yesterday" is not a start position.');
  expect(from.hint).toMatch(/trim-horizon, latest, an ISO time .* sequence number/);
  expect(usage(() => parseTailOptions({ from: '12' }, NOW)).message).toMatch(/--from "12"/);
  expect(usage(() => parseTailOptions({ limit: '0' }, NOW)).message).toBe(
    '--limit "0" is not a positive whole number.',
  );
  expect(usage(() => parseTailOptions({ limit: 'ten' }, NOW)).exitCode).toBe(2);
  const event = usage(() => parseTailOptions({ event: 'INSERT,UPSERT' }, NOW));
  expect(event.message).toBe('--event "UPSERT" is not a stream event name.');
  expect(event.hint).toMatch(/INSERT, MODIFY, REMOVE/);
});

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
