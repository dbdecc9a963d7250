import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Faker } from '@faker-js/faker';
import { OrderFactory, toItem } from '../seed/orders.js';
import type { Clock } from '../util/time.js';

/** How the end-to-end latency is sampled. */
export interface ProbeOptions {
  client: DynamoDBClient;
  sourceTable: string;
  sinkTable: string;
  faker: Faker;
  /** Probe orders to write, one after the other. */
  count: number;
  /** Pause between probes, so each one measures an idle pipeline, not a backlog. */
  intervalMs: number;
  /** Give up on a probe after this long. */
  timeoutMs: number;
  clock: Clock;
  signal?: AbortSignal | undefined;
}

/**
 * Measures source write -> sink write latency with real orders: each probe is
 * an ordinary order (so the sink stays a projection of the source) whose time
 * of write is known exactly; the sink is polled every few ms for its item.
 * DynamoDB Local's ApproximateCreationDateTime is too coarse for this.
 */
export async function probeLatency(options: ProbeOptions): Promise<number[]> {
  const { client, clock } = options;
  const factory = new OrderFactory(
    options.faker,
    Math.floor(Math.random() * 2 ** 31),
    options.count,
    false,
    clock.now(),
  );
  const latencies: number[] = [];
  for (let i = 0; i < options.count && !options.signal?.aborted; i++) {
    const order = factory.order(i);
    const started = clock.now();
    await client.send(new PutItemCommand({ TableName: options.sourceTable, Item: toItem(order) }));
    const deadline = started + options.timeoutMs;
    for (;;) {
      const got = await client.send(
        new GetItemCommand({ TableName: options.sinkTable, Key: { pk: { S: `ORDER#${order.orderId}` } } }),
      );
      if (got.Item) {
        latencies.push(clock.now() - started);
        break;
      }
      if (clock.now() > deadline) break;
      await clock.sleep(5);
    }
    await clock.sleep(options.intervalMs);
  }
  return latencies;
}

/** The p-th percentile (0-100) of `values`, nearest-rank. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? null;
}
