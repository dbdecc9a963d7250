import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { buildOnFailureMessage } from '../../src/esm/onFailureMessage.js';
import { countMessages, listMessages, purge, writeOnFailureMessage } from '../../src/esm/onFailureQueue.js';
import { STREAM_ARN } from './records.js';

function message(requestId: string, now: number, start: string) {
  return buildOnFailureMessage({
    requestId,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 3,
    functionError: 'Unhandled',
    now,
    shardId: 'shardId-1',
    streamArn: STREAM_ARN,
    records: [{ sequenceNumber: start, approximateCreationDateTime: now / 1000 }],
  });
}

describe('local on-failure queue', () => {
  let dir: string;
  beforeEach(async () => {
    dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'dlq-')), 'dlq');
  });
  afterEach(async () => {
    await rm(path.dirname(dir), { recursive: true, force: true });
  });

  test('a missing directory is an empty queue', async () => {
    expect(await listMessages(dir)).toEqual([]);
    expect(await countMessages(dir)).toBe(0);
    expect(await purge(dir)).toBe(0);
  });

  test('writes one file per message, lists them oldest first, purges them', async () => {
    const later = message('bbbb-2', Date.UTC(2026, 0, 2, 3, 4, 5, 678), '200');
    const earlier = message('aaaa-1', Date.UTC(2026, 0, 2, 3, 4, 5, 9), '100');
    const laterFile = await writeOnFailureMessage(dir, later);
    await writeOnFailureMessage(dir, earlier);
    expect(path.basename(laterFile)).toBe('2026-01-02T03-04-05.678Z-bbbb-2.json');
    expect((await stat(laterFile)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const listed = await listMessages(dir);
    expect(listed.map((m) => m.message)).toEqual([earlier, later]);
    expect(await countMessages(dir)).toBe(2);
    expect(await purge(dir)).toBe(2);
    expect(await countMessages(dir)).toBe(0);
  });
});
