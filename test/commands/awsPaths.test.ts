import { PassThrough } from 'node:stream';
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { renderBatch } from '../../src/commands/replay.js';
import { parseStack } from '../../src/config/stack.js';
import { ensureTables } from '../../src/dynamo/tables.js';
import { toCliError } from '../../src/errorMessages.js';
import { RuntimeError } from '../../src/errors.js';
import type { OnFailureMessage } from '../../src/esm/onFailureMessage.js';
import type { LogEvent } from '../../src/logs/events.js';
import { describeLogEvent, readFunctionLogs } from '../../src/logs/format.js';
import { Output } from '../../src/output.js';
import { finishRedrive, prepareRedrive, sqsDlq } from '../../src/replay/dlq.js';
import { remoteInvoker } from '../../src/replay/invoke.js';
import { type BatchReport, planBatches, runReplay } from '../../src/replay/runner.js';
import { describeShards } from '../../src/streams/shards.js';
import { tail } from '../../src/streams/tail.js';
import type { WireRecord } from '../../src/streams/wire.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';

// The aws target's Lambda Invoke, CloudWatch Logs and SQS have no emulator:
// their requests are checked exactly against aws-sdk-client-mock. The stream
// a DLQ message points at is real (DynamoDB Local).

// Invoke's Payload type is the SDK's blob adapter; the bytes are what matter.
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function record(seq: number): WireRecord {
  return {
    eventID: `e-${seq}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      ApproximateCreationDateTime: 1_795_000_000,
      Keys: { orderId: { S: `o-${seq}` } },
      NewImage: { orderId: { S: `o-${seq}` } },
      SequenceNumber: String(seq).padStart(21, '0'),
      SizeBytes: 20,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000',
  };
}

function captureOutput(): { output: Output; text: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk) => {
    text += String(chunk);
  });
  return {
    output: new Output({ json: false, quiet: true, color: false, stdout, stderr: new PassThrough() }),
    text: () => text,
  };
}

// One mock per client class: a second mockClient() of the same class replaces the first.
const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());

describe('replay --invoke remote', () => {
  test('one RequestResponse Invoke of the live alias per batch, with the log tail and FunctionError rendered', async () => {
    lambda
      .on(InvokeCommand)
      .resolvesOnce({
        StatusCode: 200,
        ExecutedVersion: '7',
        Payload: encode({ batchItemFailures: [{ itemIdentifier: '000000000000000000002' }] }),
        LogResult: base64(
          'START RequestId: r-1 Version: 7\nEND RequestId: r-1\nREPORT RequestId: r-1\tDuration: 3.10 ms\n',
        ),
      })
      .resolvesOnce({
        StatusCode: 200,
        ExecutedVersion: '7',
        FunctionError: 'Unhandled',
        Payload: encode({ errorType: 'TypeError', errorMessage: 'boom', trace: ['TypeError: boom'] }),
        LogResult: base64('START RequestId: r-2 Version: 7\nERROR\tInvoke Error\tboom\nEND RequestId: r-2\n'),
      });
    const client = new LambdaClient({ region: 'eu-west-1' });
    const records = [record(1), record(2), record(3)];
    const reports: BatchReport[] = [];
    const summary = await runReplay({
      batches: planBatches(records, 2),
      invoker: remoteInvoker({ client, functionName: 'ddb-ingest-ingest' }),
      onBatch: (r) => reports.push(r),
    });

    const inputs = lambda.commandCalls(InvokeCommand).map((c) => {
      const { Payload, ...rest } = c.args[0].input;
      return { ...rest, Payload: JSON.parse(Buffer.from(Payload as Uint8Array).toString('utf8')) };
    });
    expect(inputs).toEqual([
      {
        FunctionName: 'ddb-ingest-ingest',
        Qualifier: 'live',
        InvocationType: 'RequestResponse',
        LogType: 'Tail',
        Payload: { Records: [records[0], records[1]] },
      },
      {
        FunctionName: 'ddb-ingest-ingest',
        Qualifier: 'live',
        InvocationType: 'RequestResponse',
        LogType: 'Tail',
        Payload: { Records: [records[2]] },
      },
    ]);
    expect(summary).toMatchObject({ batches: 2, records: 3, failedBatches: 1, failedRecords: 1 });
    expect(reports[0]?.outcome).toMatchObject({
      ok: true,
      batchItemFailures: ['000000000000000000002'],
      executedVersion: '7',
    });
    expect(reports[1]?.outcome).toMatchObject({
      ok: false,
      functionError: 'Unhandled',
      errorType: 'TypeError',
      errorMessage: 'boom',
    });

    const first = captureOutput();
    renderBatch(first.output, reports[0] as BatchReport);
    expect(first.text()).toContain('batch 1/2  2 records');
    expect(first.text()).toContain('1 failed record');
    expect(first.text()).toContain('batchItemFailures: 000000000000000000002');
    expect(first.text()).toContain('    REPORT RequestId: r-1\tDuration: 3.10 ms');

    const second = captureOutput();
    renderBatch(second.output, reports[1] as BatchReport);
    expect(second.text().split('\n')).toEqual([
      `batch 2/2  1 record  000000000000000000003..000000000000000000003  FunctionError: Unhandled (TypeError)`,
      '  boom',
      '  batchItemFailures: []',
      '  result: {"errorType":"TypeError","errorMessage":"boom","trace":["TypeError: boom"]}',
      '  log tail:',
      '    START RequestId: r-2 Version: 7',
      '    ERROR\tInvoke Error\tboom',
      '    END RequestId: r-2',
      '',
    ]);
  });

  test('a missing function or alias says how to deploy it', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));
    const invoker = remoteInvoker({ client: new LambdaClient({ region: 'eu-west-1' }), functionName: 'fn' });
    const err = await invoker.invoke({ Records: [record(1)] }).catch((e: unknown) => toCliError(e) ?? e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).message).toBe('Function fn:live was not found.');
    expect((err as RuntimeError).hint).toContain('up --target aws');
  });

  test('a batch over the 6 MB synchronous payload limit is refused before sending', async () => {
    const big = record(1);
    big.dynamodb.NewImage = { blob: { S: 'x'.repeat(6 * 1024 * 1024) } };
    const invoker = remoteInvoker({ client: new LambdaClient({ region: 'eu-west-1' }), functionName: 'fn' });
    await expect(invoker.invoke({ Records: [big] })).rejects.toThrow(/over Lambda's 6 MB limit/);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });
});

describe('logs --target aws', () => {
  const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
  const cw = mockClient(CloudWatchLogsClient);
  afterEach(() => cw.reset());

  test('FilterLogEvents on the function log group, every page followed', async () => {
    const stream = '2026/11/25/[$LATEST]0123456789abcdef0123456789abcdef';
    const ev = (id: string, offset: number, message: string) => ({
      eventId: id,
      timestamp: T0 + offset,
      logStreamName: stream,
      message: `${message}\n`,
    });
    cw.on(FilterLogEventsCommand)
      .resolvesOnce({
        events: [
          ev('1', 1, 'START RequestId: r-1 Version: 7'),
          ev('2', 2, JSON.stringify({ level: 'ERROR', message: 'record malformed', service: 'ingest' })),
        ],
        nextToken: 'page-2',
      })
      .resolvesOnce({ events: [ev('3', 3, JSON.stringify({ level: 'INFO', message: 'batch done' }))] });
    const client = new CloudWatchLogsClient({ region: 'eu-west-1' });
    const events: LogEvent[] = [];
    for await (const e of readFunctionLogs(
      { target: 'aws', client, functionName: 'ddb-ingest-ingest' },
      { since: T0, until: T0 + 60_000, filter: 'record' },
    )) {
      events.push(e);
    }
    const inputs: FilterLogEventsCommandInput[] = cw
      .commandCalls(FilterLogEventsCommand)
      .map((c) => c.args[0].input);
    expect(inputs).toEqual([
      {
        logGroupName: '/aws/lambda/ddb-ingest-ingest',
        startTime: T0,
        endTime: T0 + 60_000,
        filterPattern: 'record',
      },
      {
        logGroupName: '/aws/lambda/ddb-ingest-ingest',
        startTime: T0,
        endTime: T0 + 60_000,
        filterPattern: 'record',
        nextToken: 'page-2',
      },
    ]);
    expect(events.map((e) => [e.eventId, e.platform, e.level])).toEqual([
      ['1', true, undefined],
      ['2', false, 'ERROR'],
      ['3', false, 'INFO'],
    ]);
    expect(events[0]?.message).toBe('START RequestId: r-1 Version: 7');
  });
});

describe('describeLogEvent', () => {
  const base = { timestamp: Date.UTC(2026, 10, 25), logStreamName: 's', eventId: '1', platform: false };

  test('a Powertools line: level, message, then only the fields that vary', () => {
    const message = JSON.stringify({
      level: 'INFO',
      message: 'record applied',
      timestamp: '2026-11-25T00:00:00.000Z',
      service: 'ingest',
      cold_start: true,
      function_name: 'fn',
      function_request_id: 'r-1',
      outcome: 'applied',
      record: { key: 'ORDER#o-1' },
    });
    expect(describeLogEvent({ ...base, message, level: 'INFO' })).toEqual({
      time: '2026-11-25T00:00:00.000Z',
      platform: false,
      metrics: false,
      level: 'INFO',
      message: 'record applied',
      fields: ['outcome=applied', 'record={"key":"ORDER#o-1"}'],
    });
  });

  test('metrics (EMF) lines and plain text', () => {
    const emf = JSON.stringify({
      _aws: { Timestamp: 1, CloudWatchMetrics: [] },
      service: 'ingest',
      RecordsFailed: 0,
    });
    expect(describeLogEvent({ ...base, message: emf })).toMatchObject({
      metrics: true,
      message: 'metrics',
      fields: ['RecordsFailed=0'],
    });
    expect(describeLogEvent({ ...base, message: '{not json' })).toMatchObject({
      message: '{not json',
      fields: [],
    });
    expect(describeLogEvent({ ...base, message: 'END RequestId: r-1', platform: true })).toMatchObject({
      platform: true,
      message: 'END RequestId: r-1',
    });
  });
});

describe('replay --from-dlq on aws: SQS messages, records read back from the stream', () => {
  const sqs = mockClient(SQSClient);
  const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ddb-ingest-dlq';
  let dynamo: TestDynamo;
  let streamArn: string;
  let shardId: string;
  let seqs: string[];

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    const stack = parseStack({});
    const tables = await ensureTables(dynamo.ddb, stack);
    streamArn = tables.streamArn;
    for (const id of ['o-1', 'o-2', 'o-3']) {
      await dynamo.ddb.send(
        new PutItemCommand({ TableName: stack.source_table.name, Item: { orderId: { S: id } } }),
      );
    }
    seqs = [];
    for await (const r of tail({
      client: dynamo.streams,
      streamArn,
      options: { from: { type: 'trim-horizon' }, follow: false },
    })) {
      seqs.push(r.dynamodb.SequenceNumber);
    }
    expect(seqs).toHaveLength(3);
    shardId = (await describeShards(dynamo.streams, streamArn)).shards[0]?.shardId as string;
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  afterEach(() => sqs.reset());

  const message = (start: string, end: string, batchSize: number, shard = shardId): OnFailureMessage => ({
    requestContext: {
      requestId: `req-${start}`,
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ddb-ingest-ingest:live',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 6,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: `2026-11-25T10:00:0${batchSize}.000Z`,
    DDBStreamBatchInfo: {
      shardId: shard,
      startSequenceNumber: start,
      endSequenceNumber: end,
      approximateArrivalOfFirstRecord: '2026-11-25T09:59:00Z',
      approximateArrivalOfLastRecord: '2026-11-25T09:59:00Z',
      batchSize,
      streamArn,
    },
  });

  test('receives every message, re-drives the readable ones, deletes only with --delete and success', async () => {
    const complete = message(seqs[0] as string, seqs[1] as string, 2);
    const partial = message(seqs[2] as string, seqs[2] as string, 3);
    const gone = message(seqs[0] as string, seqs[2] as string, 1, 'shardId-00000000000000000000-gone0000');
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { MessageId: 'm-complete', ReceiptHandle: 'rh-complete', Body: JSON.stringify(complete) },
          { MessageId: 'm-junk', ReceiptHandle: 'rh-junk', Body: '{"hello":"world"}' },
        ],
      })
      .resolvesOnce({
        Messages: [
          { MessageId: 'm-partial', ReceiptHandle: 'rh-partial', Body: JSON.stringify(partial) },
          { MessageId: 'm-gone', ReceiptHandle: 'rh-gone', Body: JSON.stringify(gone) },
          { MessageId: 'm-complete', ReceiptHandle: 'rh-complete-2', Body: JSON.stringify(complete) },
        ],
      })
      .resolves({ Messages: [] });
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ batchItemFailures: [] }) });

    const queue = sqsDlq({ client: new SQSClient({ region: 'eu-west-1' }), queueUrl: QUEUE });
    const notices: string[] = [];
    const redrive = await prepareRedrive({
      queue,
      client: dynamo.streams,
      batchSize: 100,
      region: 'eu-west-1',
      onNotice: (n) =>
        notices.push(n.type === 'unreadable' ? `unreadable ${n.id}` : `${n.type} ${n.result.entry.id}`),
    });

    expect(sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input)).toEqual(
      Array(3).fill({ QueueUrl: QUEUE, MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 1 }),
    );
    expect(notices).toEqual(['unreadable m-junk', 'gone m-gone', 'partial m-partial']);
    expect(
      redrive.read.map((r) => [r.entry.id, r.status, r.records.map((x) => x.dynamodb.SequenceNumber)]),
    ).toEqual([
      ['m-gone', 'gone', []],
      ['m-complete', 'complete', [seqs[0], seqs[1]]],
      ['m-partial', 'partial', [seqs[2]]],
    ]);
    // The junk message was handed back at once; it is not ours to delete.
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE, ReceiptHandle: 'rh-junk', VisibilityTimeout: 0 },
    ]);

    const summary = await runReplay({
      batches: redrive.batches,
      invoker: remoteInvoker({ client: new LambdaClient({ region: 'eu-west-1' }), functionName: 'fn' }),
    });
    expect(summary).toMatchObject({ batches: 2, records: 3, failedBatches: 0 });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(2);

    const result = await finishRedrive(redrive, {
      failedOrigins: summary.failedOrigins,
      delete: true,
      replayed: true,
    });
    expect(result.deleted.map((e) => e.id)).toEqual(['m-complete']);
    expect(result.kept.map((e) => e.id)).toEqual(['m-gone', 'm-partial']);
    // Received twice: SQS deletes it only with the newest receipt handle.
    expect(sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE, ReceiptHandle: 'rh-complete-2' },
    ]);
    expect(
      sqs
        .commandCalls(ChangeMessageVisibilityCommand)
        .slice(1)
        .map((c) => c.args[0].input.ReceiptHandle),
    ).toEqual(['rh-gone', 'rh-partial']);
  });

  test('without --delete, and after a failed batch, nothing is deleted', async () => {
    const complete = message(seqs[0] as string, seqs[2] as string, 3);
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [{ MessageId: 'm-1', ReceiptHandle: 'rh-1', Body: JSON.stringify(complete) }],
      })
      .resolves({});
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: encode({ batchItemFailures: [{ itemIdentifier: seqs[1] }] }) });
    const queue = sqsDlq({ client: new SQSClient({ region: 'eu-west-1' }), queueUrl: QUEUE });
    const redrive = await prepareRedrive({ queue, client: dynamo.streams, batchSize: 2 });
    expect(redrive.batches.map((b) => [b.origin, b.records.length])).toEqual([
      ['m-1', 2],
      ['m-1', 1],
    ]);
    const summary = await runReplay({
      batches: redrive.batches,
      invoker: remoteInvoker({ client: new LambdaClient({ region: 'eu-west-1' }), functionName: 'fn' }),
    });
    expect([...summary.failedOrigins]).toEqual(['m-1']);
    const failed = await finishRedrive(redrive, {
      failedOrigins: summary.failedOrigins,
      delete: true,
      replayed: true,
    });
    expect(failed).toMatchObject({
      deleted: [],
      replayed: [],
      kept: [expect.objectContaining({ id: 'm-1' })],
    });
    const kept = await finishRedrive(redrive, { failedOrigins: new Set(), delete: false, replayed: true });
    expect(kept.replayed.map((e) => e.id)).toEqual(['m-1']);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });
});
