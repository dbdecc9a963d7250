import { setMaxListeners } from 'node:events';
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { Clock } from '../util/time.js';
import { SeedError } from './errors.js';

/** How the writer talks to DynamoDB. */
export interface BatchWriterOptions {
  /** Build it with `maxAttempts: 1`: the writer retries itself so it can count and cap retries. */
  client: DynamoDBClient;
  tableName: string;
  /** BatchWriteItem calls in flight at once. */
  concurrency: number;
  /** Attempts per batch (first try included) before its remaining items count as not written. */
  maxAttempts: number;
  /** First back-off delay; doubles per attempt, with full jitter. */
  baseDelayMs: number;
  /** Cap of one back-off delay. */
  maxDelayMs: number;
  /** Items per second across all writers; undefined = as fast as DynamoDB takes them. */
  rate?: number | undefined;
  clock: Clock;
  /** Random source for the jitter (injectable for tests). */
  random?: (() => number) | undefined;
  /** Stops the writer: calls in flight are cancelled, back-offs cut short, nothing new is sent. */
  signal?: AbortSignal | undefined;
}

export class WriteFailedError extends SeedError {
  constructor(
    readonly notWritten: number,
    override readonly cause: unknown,
  ) {
    super('seed.writes-gave-up', `gave up after retries: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
      details: { notWritten },
    });
  }
}

/** DynamoDB kept returning some items as UnprocessedItems (throttling per item) through every attempt. */
export class StillUnprocessedError extends Error {
  override readonly name = 'StillUnprocessed';
}

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'LimitExceededException',
  'TimeoutError',
]);

function isRetryable(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (e?.name && RETRYABLE.has(e.name)) return true;
  if ((e?.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(e?.code ?? '');
}

/**
 * Writes 25-item batches with bounded concurrency: `write` resolves as soon as
 * a slot is free (back-pressure for the generator), `flush` waits for the rest.
 * UnprocessedItems and throttling are retried with capped exponential back-off
 * and full jitter; after `maxAttempts` the batch's remaining items are counted
 * as not written and no new batches start.
 */
export class BatchWriter {
  written = 0;
  retries = 0;
  notWritten = 0;
  /**
   * Items of calls cancelled in flight by the signal: DynamoDB may or may not
   * have applied them (each item whole or not at all), so they are neither
   * counted as written nor as failed.
   */
  unconfirmed = 0;
  private failure: unknown;
  private readonly inFlight = new Set<Promise<void>>();
  private nextSendAt = 0;
  private readonly random: () => number;

  constructor(private readonly options: BatchWriterOptions) {
    this.random = options.random ?? Math.random;
    // Every call in flight and every back-off listens on the signal: more than Node's warning threshold of 10.
    if (options.signal) setMaxListeners(Math.max(10, options.concurrency * 3), options.signal);
  }

  /** Queues one batch (at most 25 requests); resolves when another may be queued. */
  async write(requests: WriteRequest[]): Promise<void> {
    if (this.failure) {
      this.notWritten += requests.length;
      return;
    }
    while (this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
    await this.throttle(requests.length);
    if (this.options.signal?.aborted) return;
    const task = this.send(requests).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /** Waits for every queued batch; throws WriteFailedError when items were not written. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.failure) throw new WriteFailedError(this.notWritten, this.failure);
  }

  private async throttle(items: number): Promise<void> {
    const { rate, clock } = this.options;
    if (!rate) return;
    const now = clock.now();
    const start = Math.max(now, this.nextSendAt);
    this.nextSendAt = start + (items * 1000) / rate;
    if (start > now) await this.sleep(start - now);
  }

  /** The clock's sleep, cut short when the signal aborts. */
  private sleep(ms: number): Promise<void> {
    const signal = this.options.signal;
    if (!signal) return this.options.clock.sleep(ms);
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.options.clock.sleep(ms).then(done, done);
    });
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** attempt);
    return Math.floor(this.random() * cap);
  }

  private async send(requests: WriteRequest[]): Promise<void> {
    const { client, tableName, maxAttempts, signal } = this.options;
    let pending = requests;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) {
        // Stopped between attempts: these were never sent again, so they are simply not written.
        this.notWritten += pending.length;
        return;
      }
      try {
        const out = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }),
          signal ? { abortSignal: signal } : {},
        );
        const unprocessed = out.UnprocessedItems?.[tableName] ?? [];
        this.written += pending.length - unprocessed.length;
        pending = unprocessed;
        if (pending.length === 0) return;
        if (attempt + 1 >= maxAttempts) {
          throw new StillUnprocessedError(
            `${pending.length} items still unprocessed after ${maxAttempts} attempts`,
          );
        }
      } catch (err) {
        if (signal?.aborted) {
          this.unconfirmed += pending.length;
          return;
        }
        if (!isRetryable(err) || attempt + 1 >= maxAttempts) {
          this.failure ??= err;
          this.notWritten += pending.length;
          return;
        }
      }
      this.retries++;
      await this.sleep(this.backoff(attempt));
    }
  }
}
