import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { parseTailOptions } from '../../src/commands/tailOptions.js';
import { parseBatchSize } from '../../src/commands/values.js';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { toCliError } from '../../src/errorMessages.js';
import { UsageError } from '../../src/errors.js';
import { parseReplayText, readReplayFile, toBatches, toEvent, toNdjson } from '../../src/replay/source.js';
import { tail } from '../../src/streams/tail.js';
import type { WireRecord } from '../../src/streams/wire.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';

const ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000';

function rec(n: number, extra: Partial<WireRecord['dynamodb']> = {}): WireRecord {
  return {
    eventID: `id-${n}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: 1_790_000_000 + n,
      Keys: { orderId: { S: `o-${n}` } },
      NewImage: { orderId: { S: `o-${n}` }, blob: { B: 'AAH/' }, total: { N: '12.5' } },
      SequenceNumber: String(1000000000000000000000n + BigInt(n)),
      SizeBytes: 40 + n,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...extra,
    },
    eventSourceARN: ARN,
  };
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    const shown = toCliError(err);
    expect(shown).toBeInstanceOf(UsageError);
    return (shown as UsageError).message;
  }
  throw new Error('expected a UsageError');
}

describe('replay input files', () => {
  test('NDJSON records are read in order, blank lines ignored', () => {
    const records = [rec(1), rec(2), rec(3)];
    expect(parseReplayText(`${toNdjson(records)}\n\n`)).toEqual(records);
  });

  test('a Lambda event, compact or pretty-printed, gives its Records', () => {
    const records = [rec(1), rec(2)];
    expect(parseReplayText(JSON.stringify(toEvent(records)))).toEqual(records);
    expect(parseReplayText(JSON.stringify(toEvent(records), null, 2))).toEqual(records);
  });

  test('a line that is not JSON is named', () => {
    const text = `${JSON.stringify(rec(1))}\n{"eventID": oops}\n${JSON.stringify(rec(3))}\n`;
    expect(usageMessage(() => parseReplayText(text, 'in.ndjson'))).toMatch(
      /^in\.ndjson: line 2: not valid JSON/,
    );
  });

  test('a broken pretty-printed event names the line of the syntax error', () => {
    const pretty = JSON.stringify(toEvent([rec(1)]), null, 2).split('\n');
    pretty[5] = `${pretty[5]} ,,`;
    const message = usageMessage(() => parseReplayText(pretty.join('\n'), 'event.json'));
    expect(message).toMatch(/^event\.json: line 6: not valid JSON/);
  });

  test('a record of the wrong shape names the line and the field', () => {
    const bad = rec(2) as unknown as { dynamodb: Record<string, unknown> };
    bad.dynamodb.SequenceNumber = 42;
    const text = toNdjson([rec(1), bad as unknown as WireRecord]);
    expect(usageMessage(() => parseReplayText(text, 'f'))).toBe(
      'f: line 2: record.dynamodb.SequenceNumber expected a string of digits.',
    );
    const binary = rec(1);
    (binary.dynamodb.NewImage as Record<string, unknown>).blob = { B: [1, 2] };
    expect(usageMessage(() => parseReplayText(toNdjson([binary]), 'f'))).toBe(
      'f: line 1: record.dynamodb.NewImage.blob.B expected a base64 string.',
    );
    const wrongEvent = { ...rec(1), eventName: 'UPSERT' };
    expect(
      usageMessage(() => parseReplayText(JSON.stringify({ Records: [wrongEvent] }, null, 2), 'e')),
    ).toMatch(/^e: line \d+: Records\[0\]\.eventName expected "INSERT", "MODIFY" or "REMOVE"\.$/);
  });

  test('JSON that is neither records nor an event is refused', () => {
    expect(usageMessage(() => parseReplayText('[1, 2]', 'f'))).toMatch(
      /^f: line 1: record expected a JSON object/,
    );
    expect(usageMessage(() => parseReplayText('{"Records": {}}', 'f'))).toMatch(/"Records" array/);
    expect(usageMessage(() => parseReplayText('   \n', 'f'))).toBe('f is empty.');
  });

  test('a missing file is a UsageError', async () => {
    await expect(readReplayFile('/nonexistent/replay.ndjson')).rejects.toThrow(/does not exist/);
  });

  test('batches keep order and respect the batch size', () => {
    const records = [1, 2, 3, 4, 5].map((n) => rec(n));
    expect(toBatches(records, 2).map((b) => b.map((r) => r.eventID))).toEqual([
      ['id-1', 'id-2'],
      ['id-3', 'id-4'],
      ['id-5'],
    ]);
    expect(parseBatchSize('10000')).toBe(10_000);
    expect(usageMessage(() => parseBatchSize('0'))).toBe('--batch-size "0" is out of range.');
    expect(() => parseBatchSize('10001')).toThrow(UsageError);
    expect(() => parseBatchSize('2.5')).toThrow(UsageError);
  });
});

describe('round trip through DynamoDB Local', () => {
  let t: TestDynamo;
  let dir: string;
  beforeAll(async () => {
    t = await startTestDynamo();
    dir = await mkdtemp(path.join(tmpdir(), 'replay-'));
  });
  afterAll(async () => {
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('tail -> NDJSON file -> replay source gives identical records', async () => {
    const { streamArn, source } = await ensureTables(t.ddb, parseStack({}));
    await t.ddb.send(
      new PutItemCommand({
        TableName: source,
        Item: { orderId: { S: 'rt-1' }, blob: { B: new Uint8Array([1, 2, 3]) }, tags: { SS: ['a', 'b'] } },
      }),
    );
    await t.ddb.send(
      new UpdateItemCommand({
        TableName: source,
        Key: { orderId: { S: 'rt-1' } },
        UpdateExpression: 'SET qty = :q',
        ExpressionAttributeValues: { ':q': { N: '3' } },
      }),
    );
    const records: WireRecord[] = [];
    for await (const r of tail({
      client: t.streams,
      streamArn,
      region: 'us-east-1',
      options: parseTailOptions({ follow: false }, Date.now()),
      pollIntervalMs: 20,
    })) {
      records.push(r);
    }
    expect(records).toHaveLength(2);
    const file = path.join(dir, 'out.ndjson');
    await writeFile(file, toNdjson(records));
    const back = await readReplayFile(file);
    expect(back).toEqual(records);
    // Same text, key order included.
    expect(toNdjson(back)).toBe(await readFile(file, 'utf8'));
  });
});
