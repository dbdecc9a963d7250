import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, AttributeValue as WireValue } from 'aws-lambda';

export type WireImage = Record<string, WireValue>;

export interface OrderFields {
  orderId: string;
  customerId: string;
  customerName: string;
  customerEmail: string;
  items: { sku: string; name: string; quantity: number; unitPrice: string }[];
  total: string;
  currency: string;
  status: string;
  createdAt: string;
  updatedAt: string;
}

export function newOrder(overrides: Partial<OrderFields> = {}): OrderFields {
  return {
    orderId: randomUUID(),
    customerId: `cust-${randomUUID().slice(0, 8)}`,
    customerName: 'Ada Lovelace',
    customerEmail: '  Ada.Lovelace@Example.COM ',
    items: [
      { sku: 'SKU-1', name: 'Widget', quantity: 2, unitPrice: '10.05' },
      { sku: 'SKU-2', name: 'Gadget', quantity: 1, unitPrice: '0.10' },
    ],
    total: '20.20',
    currency: 'EUR',
    status: 'PLACED',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** The order as DynamoDB's wire form (what a stream record carries). */
export function orderImage(order: OrderFields): WireImage {
  return {
    orderId: { S: order.orderId },
    customerId: { S: order.customerId },
    customerName: { S: order.customerName },
    customerEmail: { S: order.customerEmail },
    items: {
      L: order.items.map((item) => ({
        M: {
          sku: { S: item.sku },
          name: { S: item.name },
          quantity: { N: String(item.quantity) },
          unitPrice: { N: item.unitPrice },
        },
      })),
    },
    total: { N: order.total },
    currency: { S: order.currency },
    status: { S: order.status },
    createdAt: { S: order.createdAt },
    updatedAt: { S: order.updatedAt },
  };
}

const STREAM_ARN =
  'arn:aws:dynamodb:ddblocal:000000000000:table/ddb-ingest-orders/stream/2026-01-01T00:00:00.000';

/** A stream record in the exact wire shape the event source mapping delivers. */
export function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  sequenceNumber: string,
  orderId: string,
  images: { newImage?: WireImage; oldImage?: WireImage } = {},
): DynamoDBRecord {
  return {
    eventID: randomBytes(16).toString('hex'),
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'ddblocal',
    dynamodb: {
      ApproximateCreationDateTime: 1767225600,
      Keys: { orderId: { S: orderId } },
      ...(images.newImage ? { NewImage: images.newImage } : {}),
      ...(images.oldImage ? { OldImage: images.oldImage } : {}),
      SequenceNumber: sequenceNumber,
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: STREAM_ARN,
  };
}

/** A 0600 key file with 64 hex characters, as `up` writes it. */
export async function makeKeyFile(): Promise<{ file: string; key: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-key-'));
  const file = path.join(dir, 'pii-key');
  const key = randomBytes(32).toString('hex');
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { file, key };
}

export async function scanAll(
  ddb: DynamoDBClient,
  tableName: string,
): Promise<Record<string, import('@aws-sdk/client-dynamodb').AttributeValue>[]> {
  const items: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue>[] = [];
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Collects what Powertools writes: Logger and Metrics print through a Console
 * bound to process.stdout (errors to process.stderr), so lines are taken there.
 */
export function captureOutput(): { lines: () => string[]; restore: () => void } {
  let buffer = '';
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      buffer += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
  return {
    lines: () => buffer.split('\n').filter((line) => line.length > 0),
    restore: () => {
      streams.forEach((stream, i) => {
        stream.write = originals[i] as typeof stream.write;
      });
    },
  };
}
