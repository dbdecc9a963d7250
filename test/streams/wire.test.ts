import { toWireRecord } from '../../src/streams/wire.js';

const ctx = { streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x', region: 'us-east-1' };
const sdkRecord = (created?: Date) => ({
  eventID: 'e1',
  eventName: 'INSERT' as const,
  dynamodb: {
    ...(created ? { ApproximateCreationDateTime: created } : {}),
    Keys: { pk: { S: 'a' } },
    SequenceNumber: '100',
    SizeBytes: 10,
    StreamViewType: 'KEYS_ONLY' as const,
  },
});

test("the stream's creation time becomes epoch seconds", () => {
  const record = toWireRecord(sdkRecord(new Date('2026-01-02T03:04:05.678Z')), { ...ctx, readAt: 0 });
  expect(record.dynamodb.ApproximateCreationDateTime).toBe(Date.parse('2026-01-02T03:04:05Z') / 1000);
});

test('a record without a creation time (or an invalid one) takes the time it was read, in whole seconds', () => {
  const readAt = Date.parse('2026-01-02T03:04:05.999Z');
  for (const created of [undefined, new Date(Number.NaN)]) {
    const record = toWireRecord(sdkRecord(created), { ...ctx, readAt });
    expect(record.dynamodb.ApproximateCreationDateTime).toBe(Math.floor(readAt / 1000));
    expect(Number.isFinite(record.dynamodb.ApproximateCreationDateTime)).toBe(true);
  }
});
