import type { Clock } from '../../src/util/time.js';

export const STREAM_ARN =
  'arn:aws:dynamodb:ddblocal:000000000000:table/orders/stream/2026-01-01T00:00:00.000';

/** A Lambda-shaped DynamoDB stream record, as the handler receives it. */
export interface TestRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: string;
  eventSource: string;
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: Record<string, { S: string }>;
    NewImage?: Record<string, unknown>;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: string;
  };
  eventSourceARN: string;
}

/** Record `n` of order `key`; sequence numbers grow with `n` (and change length past 9). */
export function makeRecord(
  n: number,
  options: { key?: string | undefined; createdSeconds?: number; status?: string; padding?: string } = {},
): TestRecord {
  const key = options.key ?? `order-${n}`;
  return {
    eventID: `event-${n}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'ddblocal',
    dynamodb: {
      ApproximateCreationDateTime: options.createdSeconds ?? 1_767_225_600,
      Keys: { orderId: { S: key } },
      NewImage: {
        orderId: { S: key },
        status: { S: options.status ?? 'PLACED' },
        total: { N: '12.50' },
        ...(options.padding ? { padding: { S: options.padding } } : {}),
      },
      SequenceNumber: String(n * 100),
      SizeBytes: 60,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: STREAM_ARN,
  };
}

/** A clock whose sleeps pass instantly and move time forward. */
export class FakeClock implements Clock {
  constructor(public time = 1_767_225_600_000) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.time += ms;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}
