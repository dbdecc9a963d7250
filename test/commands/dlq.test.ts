import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { buildOnFailureMessage, type OnFailureMessage } from '../../src/esm/onFailureMessage.js';
import { writeOnFailureMessage } from '../../src/esm/onFailureQueue.js';
import { peekQueue, purgeQueue, sqsDlq } from '../../src/replay/dlq.js';
import { runCli } from '../helpers/cli.js';

const STREAM =
  'arn:aws:dynamodb:ddblocal:000000000000:table/ddb-ingest-orders/stream/2026-01-01T00:00:00.000';

function message(seq: string, now: number): OnFailureMessage {
  return buildOnFailureMessage({
    requestId: `req-${seq}`,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ddb-ingest-ingest',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 6,
    functionError: 'Unhandled',
    now,
    shardId: 'shardId-00000001',
    streamArn: STREAM,
    records: [{ sequenceNumber: seq, approximateCreationDateTime: now / 1000 - 5 }],
  });
}

describe('dlq on the local target (through the CLI)', () => {
  let cwd: string;
  let dir: string;
  beforeAll(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), 'dlq-cli-'));
    dir = path.join(cwd, '.ddb-ingest', 'dlq');
    await writeOnFailureMessage(dir, message('200', Date.UTC(2026, 0, 2)));
    await writeOnFailureMessage(dir, message('100', Date.UTC(2026, 0, 1)));
  });

  test('--json prints one on-failure message per line, oldest first, in AWS shape', async () => {
    const r = await runCli(['dlq', '--json'], { cwd });
    expect(r.exitCode).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((m) => m.DDBStreamBatchInfo.startSequenceNumber)).toEqual(['100', '200']);
    expect(Object.keys(lines[0])).toEqual([
      'requestContext',
      'responseContext',
      'version',
      'timestamp',
      'DDBStreamBatchInfo',
    ]);
  });

  test('human listing names shard, sequence range, size, condition and how to re-drive', async () => {
    const r = await runCli(['dlq'], { cwd });
    expect(r.stdout).toContain('RetryAttemptsExhausted  shardId-00000001  100..100  1 record  invokes 6');
    expect(r.stderr).toContain('replay --from-dlq');
  });

  test('--purge refuses without a terminal or --yes, then --yes empties the queue', async () => {
    const refused = await runCli(['dlq', '--purge'], { cwd });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('Pass --yes');
    expect(await readdir(dir)).toHaveLength(2);
    const purged = await runCli(['dlq', '--purge', '--yes'], { cwd });
    expect(purged.exitCode).toBe(0);
    expect(purged.stderr).toContain('Deleted 2 on-failure messages.');
    expect((await readdir(dir)).filter((f) => f.endsWith('.json'))).toEqual([]);
  });
});

describe('dlq on the aws target (SQS, mocked: no emulator here)', () => {
  const sqs = mockClient(SQSClient);
  const url = 'https://sqs.us-east-1.amazonaws.com/123456789012/ddb-ingest-dlq';
  beforeEach(() => {
    sqs.reset();
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          {
            MessageId: 'm2',
            ReceiptHandle: 'h2',
            Body: JSON.stringify(message('200', Date.UTC(2026, 0, 2))),
          },
          {
            MessageId: 'm1',
            ReceiptHandle: 'h1',
            Body: JSON.stringify(message('100', Date.UTC(2026, 0, 1))),
          },
        ],
      })
      .resolves({ Messages: [] });
  });

  test('listing leaves every message on the queue (visible again at once)', async () => {
    const queue = sqsDlq({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: url,
      visibilityTimeoutSeconds: 30,
    });
    const { entries } = await peekQueue(queue);
    expect(entries.map((e) => e.message.DDBStreamBatchInfo.startSequenceNumber)).toEqual(['100', '200']);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    const released = sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input);
    expect(released).toEqual(
      expect.arrayContaining([
        { QueueUrl: url, ReceiptHandle: 'h1', VisibilityTimeout: 0 },
        { QueueUrl: url, ReceiptHandle: 'h2', VisibilityTimeout: 0 },
      ]),
    );
  });

  test('purge deletes every readable message by its receipt handle', async () => {
    const queue = sqsDlq({ client: new SQSClient({ region: 'us-east-1' }), queueUrl: url });
    expect(await purgeQueue(queue)).toBe(2);
    const deleted = sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle);
    expect(deleted.sort()).toEqual(['h1', 'h2']);
  });
});

test('a hand-edited, unreadable message file is reported, not a crash', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'dlq-bad-'));
  const dir = path.join(cwd, '.ddb-ingest', 'dlq');
  await writeOnFailureMessage(dir, message('100', Date.UTC(2026, 0, 1)));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path.join(dir, '2026-01-03T00-00-00.000Z-broken.json'), '{ "requestContext": ');
  const r = await runCli(['dlq'], { cwd });
  expect(r.exitCode).toBe(0);
  expect(r.stderr).toMatch(
    /message 2026-01-03T00-00-00\.000Z-broken\.json is not an on-failure message: not valid JSON/,
  );
  expect(r.stdout).toContain('100..100');
});
