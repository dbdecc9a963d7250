import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { parseStack } from '../../src/config/stack.js';
import { awsStatus } from '../../src/targets/aws/status.js';
import { terraformPaths } from '../../src/targets/aws/terraform.js';

const stack = parseStack({});
const lambdaMock = mockClient(LambdaClient);
const sqsMock = mockClient(SQSClient);
const outputs = {
  region: 'eu-west-1',
  source_table_name: 'ddb-ingest-orders',
  sink_table_name: 'ddb-ingest-ingested',
  stream_arn:
    'arn:aws:dynamodb:eu-west-1:123456789012:table/ddb-ingest-orders/stream/2026-01-01T00:00:00.000',
  function_name: 'ddb-ingest-ingest',
  event_source_mapping_uuid: '6b2c-uuid',
  dlq_url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ddb-ingest-dlq',
};

beforeEach(() => {
  lambdaMock.reset();
  sqsMock.reset();
});

test('nothing deployed: status says so without calling AWS', async () => {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'aws-status-'));
  const report = await awsStatus({ stack, stateDir, lambda: new LambdaClient({}), sqs: new SQSClient({}) });
  expect(report).toMatchObject({
    target: 'aws',
    running: false,
    esm: { state: 'NotDeployed' },
    dlq: { messages: 0 },
  });
  expect(lambdaMock.calls()).toHaveLength(0);
});

test('deployed: the mapping state and the DLQ depth come from Lambda and SQS', async () => {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'aws-status-'));
  const file = terraformPaths(stateDir).outputsFile;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(outputs));
  lambdaMock.on(GetEventSourceMappingCommand).resolves({
    State: 'Enabled',
    LastProcessingResult: 'OK',
    BatchSize: 50,
    MaximumBatchingWindowInSeconds: 2,
    StartingPosition: 'TRIM_HORIZON',
    ParallelizationFactor: 2,
    BisectBatchOnFunctionError: true,
    MaximumRetryAttempts: 3,
    MaximumRecordAgeInSeconds: 600,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] },
  });
  sqsMock.on(GetQueueAttributesCommand).resolves({
    Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '1' },
  });
  const report = await awsStatus({
    stack,
    stateDir,
    lambda: new LambdaClient({ region: 'eu-west-1' }),
    sqs: new SQSClient({ region: 'eu-west-1' }),
  });
  expect(lambdaMock.commandCalls(GetEventSourceMappingCommand)[0]?.args[0].input).toEqual({
    UUID: '6b2c-uuid',
  });
  expect(sqsMock.commandCalls(GetQueueAttributesCommand)[0]?.args[0].input.QueueUrl).toBe(outputs.dlq_url);
  expect(report).toMatchObject({
    target: 'aws',
    running: true,
    region: 'eu-west-1',
    streamArn: outputs.stream_arn,
    esm: { state: 'Enabled', lastProcessingResult: 'OK', iteratorAgeMs: null, recordsProcessed: null },
    dlq: { messages: 3 },
  });
  // The live settings under the stack file's names.
  expect(report.esm.settings).toEqual({
    batch_size: 50,
    maximum_batching_window_in_seconds: 2,
    starting_position: 'TRIM_HORIZON',
    parallelization_factor: 2,
    bisect_batch_on_function_error: true,
    maximum_retry_attempts: 3,
    maximum_record_age_in_seconds: 600,
    function_response_types: ['ReportBatchItemFailures'],
    filter_criteria: { filter: [{ pattern: '{"eventName":["INSERT"]}' }] },
  });
});

test('AWS unreachable: warnings, and the rest of the report', async () => {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'aws-status-'));
  const file = terraformPaths(stateDir).outputsFile;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(outputs));
  lambdaMock
    .on(GetEventSourceMappingCommand)
    .rejects(new Error('getaddrinfo ENOTFOUND lambda.eu-west-1.amazonaws.com'));
  sqsMock.on(GetQueueAttributesCommand).rejects(new Error('AccessDenied'));
  const warnings: string[] = [];
  const report = await awsStatus({
    stack,
    stateDir,
    lambda: new LambdaClient({ region: 'eu-west-1' }),
    sqs: new SQSClient({ region: 'eu-west-1' }),
    onWarning: (w) => warnings.push(w),
  });
  expect(report.esm.state).toBe('Unknown');
  expect(warnings).toEqual([expect.stringContaining('ENOTFOUND'), expect.stringContaining('AccessDenied')]);
});
