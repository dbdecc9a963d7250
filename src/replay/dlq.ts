import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { OnFailureMessage } from '../esm/onFailureMessage.js';
import { readQueueFiles } from '../esm/onFailureQueue.js';
import { StreamsError } from '../streams/errors.js';
import { readSequenceRange } from '../streams/range.js';
import { ShardGoneError } from '../streams/shardReader.js';
import type { StreamsClient } from '../streams/shards.js';
import type { WireRecord } from '../streams/wire.js';
import type { Clock } from '../util/time.js';
import { type PlannedBatch, planBatches } from './runner.js';

/** One on-failure message and how to remove it from its queue. */
export interface DlqEntry {
  /** The local file name, or the SQS MessageId. */
  id: string;
  message: OnFailureMessage;
  /** The local file, or the SQS receipt handle. */
  handle: string;
}

/** A message on the queue that is not an on-failure message for a stream batch. */
export interface UnreadableDlqEntry {
  id: string;
  problem: string;
}

export interface DlqBatch {
  entries: DlqEntry[];
  unreadable: UnreadableDlqEntry[];
}

/** Where on-failure messages wait: the local directory or an SQS queue. */
export interface DlqQueue {
  /** Human name of the queue for messages (a directory or a URL). */
  readonly location: string;
  /** Every message now on the queue, oldest first. */
  receive(): Promise<DlqBatch>;
  /** Removes a message for good (after a successful re-drive). */
  delete(entry: DlqEntry): Promise<void>;
  /** Makes received messages that were not deleted visible again at once (SQS). */
  release(entries: DlqEntry[]): Promise<void>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks the parts of an on-failure message a re-drive needs (the stream
 * batch info); throws an Error saying what is missing.
 */
export function parseOnFailureMessage(value: unknown): OnFailureMessage {
  if (!isObject(value)) throw new Error('not a JSON object');
  const info = value.DDBStreamBatchInfo;
  if (!isObject(info)) {
    throw new Error('no DDBStreamBatchInfo: not an on-failure message of a DynamoDB stream batch');
  }
  for (const key of ['shardId', 'startSequenceNumber', 'endSequenceNumber', 'streamArn']) {
    if (typeof info[key] !== 'string' || info[key] === '') {
      throw new Error(`DDBStreamBatchInfo.${key} is missing`);
    }
  }
  if (typeof info.batchSize !== 'number') throw new Error('DDBStreamBatchInfo.batchSize is missing');
  return value as unknown as OnFailureMessage;
}

/**
 * The local target's queue: `<dir>/*.json` (a function with several mappings:
 * the files of every mapping's directory, oldest first); deleting removes the file.
 */
export function localDlq(dirOrDirs: string | string[]): DlqQueue {
  const dirs = Array.isArray(dirOrDirs) ? dirOrDirs : [dirOrDirs];
  return {
    location: dirs.join(', '),
    async receive() {
      const entries: DlqEntry[] = [];
      const unreadable: UnreadableDlqEntry[] = [];
      const files = (await Promise.all(dirs.map((dir) => readQueueFiles(dir)))).flat();
      for (const { file, json, problem } of files) {
        try {
          if (problem) throw new Error(problem);
          entries.push({ id: path.basename(file), message: parseOnFailureMessage(json), handle: file });
        } catch (err) {
          unreadable.push({ id: path.basename(file), problem: (err as Error).message });
        }
      }
      entries.sort((a, b) => Date.parse(a.message.timestamp) - Date.parse(b.message.timestamp));
      return { entries, unreadable };
    },
    async delete(entry) {
      await rm(entry.handle, { force: true });
    },
    async release() {},
  };
}

export interface SqsDlqOptions {
  client: Pick<SQSClient, 'send'>;
  queueUrl: string;
  /**
   * How long received messages stay hidden from other readers while the
   * re-drive runs, in seconds (default 300). Messages not deleted are made
   * visible again when the re-drive ends.
   */
  visibilityTimeoutSeconds?: number | undefined;
  /** Stop after this many messages (default 1000). */
  maxMessages?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * The aws target's queue. ReceiveMessage hands out at most 10 messages per
 * call, so it is called until it returns none new; a short long-poll (1 s)
 * makes SQS ask all its servers, so an empty answer means an empty queue.
 * Unreadable messages are made visible again only after the last receive:
 * released earlier, that receive would hand them out (and hide them) again.
 */
export function sqsDlq(options: SqsDlqOptions): DlqQueue {
  const { client, queueUrl } = options;
  const send = options.signal ? { abortSignal: options.signal } : {};
  const max = options.maxMessages ?? 1000;
  return {
    location: queueUrl,
    async receive() {
      const seen = new Set<string>();
      const entries: DlqEntry[] = [];
      const unreadable: UnreadableDlqEntry[] = [];
      // Receipt handles of messages to make visible again once receiving is over.
      const toRelease: string[] = [];
      while (seen.size < max) {
        const out = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, max - seen.size),
            VisibilityTimeout: options.visibilityTimeoutSeconds ?? 300,
            WaitTimeSeconds: 1,
          }),
          send,
        );
        const received = out.Messages ?? [];
        const fresh = received.filter((m) => m.MessageId && !seen.has(m.MessageId));
        for (const m of received) {
          if (!m.MessageId || !m.ReceiptHandle || !seen.has(m.MessageId)) continue;
          // Received again (at-least-once delivery): only the newest receipt handle deletes or releases it.
          const entry = entries.find((e) => e.id === m.MessageId);
          if (entry) entry.handle = m.ReceiptHandle;
          else toRelease.push(m.ReceiptHandle);
        }
        if (fresh.length === 0) break;
        for (const m of fresh) {
          const id = m.MessageId as string;
          seen.add(id);
          try {
            if (!m.ReceiptHandle) throw new Error('no receipt handle');
            const message = parseOnFailureMessage(JSON.parse(m.Body ?? ''));
            entries.push({ id, message, handle: m.ReceiptHandle });
          } catch (err) {
            unreadable.push({ id, problem: (err as Error).message });
            if (m.ReceiptHandle) toRelease.push(m.ReceiptHandle);
          }
        }
      }
      for (const handle of toRelease) await releaseOne(handle);
      entries.sort((a, b) => Date.parse(a.message.timestamp) - Date.parse(b.message.timestamp));
      return { entries, unreadable };
    },
    async delete(entry) {
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: entry.handle }), send);
    },
    async release(entries) {
      for (const entry of entries) await releaseOne(entry.handle);
    },
  };

  async function releaseOne(receiptHandle: string): Promise<void> {
    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: 0,
      }),
      send,
    );
  }
}

/** The records of one on-failure message, read back from the stream. */
export interface DlqRecords {
  entry: DlqEntry;
  records: WireRecord[];
  /** The message's batchSize. */
  expected: number;
  /**
   * complete: every record is still in the stream; partial: some were
   * trimmed (streams keep records 24 hours); gone: none can be read (past
   * retention, or the stream or shard no longer exists).
   */
  status: 'complete' | 'partial' | 'gone';
  /** Why the records are gone, when they are. */
  reason?: string;
}

export interface ReadDlqRecordsOptions {
  client: StreamsClient;
  entry: DlqEntry;
  /** `awsRegion` written into the records. */
  region?: string | undefined;
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
}

/** Reads an on-failure message's sequence range back from its stream. */
export async function readDlqRecords(options: ReadDlqRecordsOptions): Promise<DlqRecords> {
  const { entry } = options;
  const info = entry.message.DDBStreamBatchInfo;
  const expected = info.batchSize;
  let records: WireRecord[];
  try {
    records = await readSequenceRange({
      client: options.client,
      streamArn: info.streamArn,
      shardId: info.shardId,
      start: info.startSequenceNumber,
      end: info.endSequenceNumber,
      ...(options.region ? { region: options.region } : {}),
      signal: options.signal,
      clock: options.clock,
    });
  } catch (err) {
    const name = (err as Error).name;
    if (err instanceof ShardGoneError || name === 'ResourceNotFoundException') {
      return {
        entry,
        records: [],
        expected,
        status: 'gone',
        reason: `shard ${info.shardId} of ${info.streamArn} no longer exists`,
      };
    }
    if (err instanceof StreamsError && err.code === 'streams.stream-not-found') {
      return { entry, records: [], expected, status: 'gone', reason: err.message };
    }
    throw err;
  }
  if (records.length === 0) {
    return {
      entry,
      records,
      expected,
      status: 'gone',
      reason: 'the records are past the stream retention (24 hours) or no longer in the stream',
    };
  }
  return { entry, records, expected, status: records.length < expected ? 'partial' : 'complete' };
}

/** What a re-drive has to tell the user about a message before replaying. */
export type RedriveNotice =
  | { type: 'unreadable'; id: string; problem: string }
  | { type: 'gone'; result: DlqRecords }
  | { type: 'partial'; result: DlqRecords };

export interface PrepareRedriveOptions {
  queue: DlqQueue;
  /** Reads the messages' sequence ranges back from their streams. */
  client: StreamsClient;
  batchSize: number;
  region?: string;
  signal?: AbortSignal;
  onNotice?: (notice: RedriveNotice) => void;
}

/** The messages received and their records, batched per message (a batch never mixes messages). */
export interface Redrive {
  queue: DlqQueue;
  read: DlqRecords[];
  batches: PlannedBatch[];
}

/**
 * Receives every message and reads its records back from the stream. A
 * message whose records are gone gets no batch; it stays on the queue.
 */
export async function prepareRedrive(options: PrepareRedriveOptions): Promise<Redrive> {
  const { queue } = options;
  const { entries, unreadable } = await queue.receive();
  for (const u of unreadable) options.onNotice?.({ type: 'unreadable', ...u });
  const read: DlqRecords[] = [];
  try {
    for (const entry of entries) {
      const result = await readDlqRecords({
        client: options.client,
        entry,
        ...(options.region ? { region: options.region } : {}),
        signal: options.signal,
      });
      if (result.status !== 'complete') options.onNotice?.({ type: result.status, result });
      read.push(result);
    }
  } catch (err) {
    await queue.release(entries).catch(() => {});
    throw err;
  }
  return {
    queue,
    read,
    batches: read.flatMap((r) => planBatches(r.records, options.batchSize, r.entry.id)),
  };
}

export interface RedriveResult {
  /** Deleted from the queue (only with `delete`). */
  deleted: DlqEntry[];
  /** Replayed completely without failures but kept (no `delete`). */
  replayed: DlqEntry[];
  /** Kept: a failed batch, records missing from the stream, or not replayed at all. */
  kept: DlqEntry[];
}

/**
 * After the replay: with `delete`, removes the messages whose records all
 * came back and replayed without failures; every other received message is
 * made visible again. Messages are never deleted otherwise.
 */
export async function finishRedrive(
  redrive: Redrive,
  options: { failedOrigins: ReadonlySet<string>; delete: boolean; replayed: boolean },
): Promise<RedriveResult> {
  const result: RedriveResult = { deleted: [], replayed: [], kept: [] };
  for (const r of redrive.read) {
    const done = options.replayed && r.status === 'complete' && !options.failedOrigins.has(r.entry.id);
    if (done && options.delete) {
      await redrive.queue.delete(r.entry);
      result.deleted.push(r.entry);
    } else if (done) {
      result.replayed.push(r.entry);
    } else {
      result.kept.push(r.entry);
    }
  }
  await redrive.queue.release([...result.replayed, ...result.kept]);
  return result;
}

/** Every message on the queue, oldest first, left on the queue (SQS: made visible again at once). */
export async function peekQueue(queue: DlqQueue): Promise<DlqBatch> {
  const batch = await queue.receive();
  await queue.release(batch.entries);
  return batch;
}

/** Deletes every readable message; returns how many. Unreadable ones stay for a person to look at. */
export async function purgeQueue(queue: DlqQueue): Promise<number> {
  const { entries } = await queue.receive();
  let deleted = 0;
  try {
    for (const entry of entries) {
      await queue.delete(entry);
      deleted++;
    }
  } finally {
    await queue.release(entries.slice(deleted));
  }
  return deleted;
}
