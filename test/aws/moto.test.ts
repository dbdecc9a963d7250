import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  GetAliasCommand,
  GetEventSourceMappingCommand,
  GetFunctionConfigurationCommand,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  ListVersionsByFunctionCommand,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, ListQueuesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import {
  type AwsConnection,
  createDynamoDbClient,
  createLambdaClient,
  createLogsClient,
  createSqsClient,
  createSsmClient,
} from '../../src/aws/clients.js';
import type { AwsOutputs } from '../../src/targets/aws/terraform.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { MOTO_ENV, startTestMoto, type TestMoto } from '../helpers/moto.js';
import { requireTerraform } from '../infra/env.js';

// The aws target end to end against moto server (the AWS API emulator): the
// built CLI, driven as a user would with --endpoint-url alone, deploys the
// whole infra/ module, operates it and destroys it. One deployment serves
// every check (an apply takes 1.5-2 minutes here), so the tests run in order.
//
// Known moto limits, checked as they are rather than worked around in the product:
// - moto runs no function code without Docker: Invoke answers what
//   /moto-api/static/lambda-simple/response queued (or echoes the event), so
//   the sink is never written and `verify` reports "not converged".
// - moto's own event source mapping reacts to every write on the source table,
//   even when disabled, and consumes the stream as it goes: `tail` is checked
//   on a table without a mapping.
// - moto stores the version ARN instead of the alias ARN on the mapping, so a
//   later plan shows one in-place change (function_name back to the alias).
// - Lambda's "use_docker" switch selects another moto backend; it is set
//   before anything is deployed (test/helpers/moto.ts).
// - moto's CodeDeploy never runs a deployment (they stay "Created") and its
//   GetApplication timestamps break the provider. The stack file leaves
//   deployment.codedeploy unset, whose null means "off when CodeDeploy's
//   endpoint is custom": `up` and `rollback` then move the alias themselves,
//   with a warning. The CodeDeploy path is test/targets/canary.test.ts
//   (mocked clients) and canary.moto.test.ts.
// - moto's CloudWatch Logs timestamps are floats (the logs reader copes).

const { pluginDir } = requireTerraform();
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sampleEvent = path.join(repoRoot, 'test', 'fixtures', 'sample-event.json');

const STACK = {
  name: 'moto-e2e',
  region: 'us-east-1',
  source_table: { name: 'moto-e2e-orders', hash_key: 'orderId', stream_view_type: 'NEW_AND_OLD_IMAGES' },
  sink_table: { name: 'moto-e2e-ingested', hash_key: 'pk' },
  function: { name: 'moto-e2e-ingest', environment: { RELEASE: '1' } },
  event_source_mapping: {
    batch_size: 50,
    maximum_batching_window_in_seconds: 2,
    starting_position: 'TRIM_HORIZON',
    parallelization_factor: 2,
    bisect_batch_on_function_error: true,
    maximum_retry_attempts: 3,
    maximum_record_age_in_seconds: 600,
    function_response_types: ['ReportBatchItemFailures'],
  },
};

let moto: TestMoto;
let cwd: string;
let conn: AwsConnection;
let outputs: AwsOutputs;
let upResult: CliResult;
const durations: Record<string, number> = {};

const env = () => ({ ...MOTO_ENV, TF_PLUGIN_DIR: pluginDir });
const aws = () => ['--target', 'aws', '--endpoint-url', moto.endpoint];
async function cli(args: string[], options: { env?: Record<string, string>; dir?: string } = {}) {
  return runCli([...aws(), ...args], {
    cwd: options.dir ?? cwd,
    env: { ...env(), ...options.env },
    timeoutMs: 480_000,
  });
}
async function timed(name: string, run: () => Promise<CliResult>): Promise<CliResult> {
  const started = Date.now();
  const result = await run();
  durations[name] = Date.now() - started;
  return result;
}
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
const ok = (r: CliResult) => ({ code: r.exitCode, stderr: r.exitCode === 0 ? '' : r.stderr });
async function readOutputs(): Promise<AwsOutputs> {
  return JSON.parse(await readFile(path.join(cwd, '.ddb-ingest', 'aws-outputs.json'), 'utf8')) as AwsOutputs;
}
async function writeStack(stack: unknown): Promise<void> {
  await writeFile(path.join(cwd, 'ddb-ingest.json'), `${JSON.stringify(stack, null, 2)}\n`);
}
/** What moto holds of the resources the SDK clients here cannot list: IAM roles, alarms, dashboards. */
async function queryInventory() {
  const all = (xml: string, tag: string) =>
    [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]);
  const roles = await moto.query('iam', 'ListRoles', '2010-05-08');
  const alarms = await moto.query('monitoring', 'DescribeAlarms', '2010-08-01');
  const dashboards = await moto.query('monitoring', 'ListDashboards', '2010-08-01');
  return {
    roles: all(roles, 'RoleName'),
    alarms: all(alarms, 'AlarmName').sort(),
    dashboards: all(dashboards, 'DashboardName'),
  };
}

beforeAll(async () => {
  moto = await startTestMoto();
  conn = {
    region: MOTO_ENV.AWS_REGION,
    endpoint: moto.endpoint,
    credentials: {
      accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY,
    },
  };
  cwd = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-moto-'));
  await writeStack(STACK);
  upResult = await timed('up', () => cli(['up', '--yes']));
  if (upResult.exitCode === 0) outputs = await readOutputs();
}, 600_000);

afterAll(async () => {
  await moto?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
  // The measured durations, for docs and for anyone wondering where the time goes.
  console.log(`moto suite durations (ms): ${JSON.stringify(durations)}`);
});

test('up --target aws --yes --endpoint-url deploys the whole module to the emulator', async () => {
  expect(ok(upResult)).toEqual({ code: 0, stderr: '' });
  expect(upResult.stderr).toContain('Deployed');
  // Terraform's machine-readable JSON stays off stderr (it went there whole before).
  expect(upResult.stderr).not.toContain('"format_version"');
  expect(upResult.stderr).not.toMatch(/^\s*\{/m);
  expect(upResult.stdout).toContain(`function    ${STACK.function.name} (live -> version 1)`);
  // The key's setup command goes to the emulator too, never to real AWS.
  expect(upResult.stderr).toContain(
    `PII key: set it once with: aws --endpoint-url ${moto.endpoint} ssm put-parameter`,
  );

  const ddb = await createDynamoDbClient(conn);
  const lambda = await createLambdaClient(conn);
  const logs = await createLogsClient(conn);
  try {
    const source = await ddb.send(new DescribeTableCommand({ TableName: STACK.source_table.name }));
    expect(source.Table?.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    expect(source.Table?.LatestStreamArn).toBe(outputs.stream_arn);
    await ddb.send(new DescribeTableCommand({ TableName: STACK.sink_table.name }));
    const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: STACK.function.name }));
    expect(fn.Environment?.Variables).toMatchObject({
      RELEASE: '1',
      SINK_TABLE_NAME: STACK.sink_table.name,
      PII_KEY_PARAMETER: `/${STACK.name}/pii-key`,
    });
    expect(fn.Role).toMatch(/^arn:aws:iam::123456789012:role\//);
    const alias = await lambda.send(new GetAliasCommand({ FunctionName: STACK.function.name, Name: 'live' }));
    expect(alias.FunctionVersion).toBe('1');
    const groups = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: outputs.log_group_name }),
    );
    expect(groups.logGroups?.map((g) => [g.logGroupName, g.retentionInDays])).toEqual([
      [`/aws/lambda/${STACK.function.name}`, 30],
    ]);
    expect(outputs.dlq_url).toContain(moto.endpoint.replace('http://', ''));
    expect(await queryInventory()).toEqual({
      roles: [`${STACK.function.name}-role`],
      alarms: ['dlq-messages', 'errors', 'iterator-age', 'throttles'].map((a) => `${STACK.name}-dev-${a}`),
      dashboards: [`${STACK.name}-dev`],
    });
  } finally {
    ddb.destroy();
    lambda.destroy();
    logs.destroy();
  }
});

test('status --json: the mapping as the stack file sets it, field by field against GetEventSourceMapping', async () => {
  const r = await cli(['status', '--json']);
  expect(ok(r)).toEqual({ code: 0, stderr: '' });
  const status = JSON.parse(r.stdout);
  const lambda = await createLambdaClient(conn);
  const sqs = await createSqsClient(conn);
  try {
    const mapping = await lambda.send(
      new GetEventSourceMappingCommand({ UUID: outputs.event_source_mapping_uuid }),
    );
    const esm = STACK.event_source_mapping;
    expect({
      batch_size: mapping.BatchSize,
      maximum_batching_window_in_seconds: mapping.MaximumBatchingWindowInSeconds,
      starting_position: mapping.StartingPosition,
      parallelization_factor: mapping.ParallelizationFactor,
      bisect_batch_on_function_error: mapping.BisectBatchOnFunctionError,
      maximum_retry_attempts: mapping.MaximumRetryAttempts,
      maximum_record_age_in_seconds: mapping.MaximumRecordAgeInSeconds,
      function_response_types: mapping.FunctionResponseTypes,
    }).toEqual(esm);
    expect(mapping.EventSourceArn).toBe(outputs.stream_arn);
    expect(mapping.DestinationConfig?.OnFailure?.Destination).toBe(outputs.dlq_arn);
    const queue = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: outputs.dlq_url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(status).toEqual({
      target: 'aws',
      running: true,
      endpoint: moto.endpoint,
      region: 'us-east-1',
      tables: {
        source: STACK.source_table.name,
        sink: STACK.sink_table.name,
        sourceExists: true,
        sinkExists: true,
      },
      streamArn: outputs.stream_arn,
      function: { name: STACK.function.name },
      esm: {
        state: mapping.State,
        lastProcessingResult: mapping.LastProcessingResult ?? null,
        iteratorAgeMs: null,
        iteratorAgeMeasuredAt: null,
        caughtUp: false,
        recordsProcessed: null,
        batchesFailed: null,
        // What is live, under the stack file's names: the stack file's values, no filter.
        settings: { ...esm, filter_criteria: { filter: [] } },
      },
      dlq: {
        messages:
          Number(queue.Attributes?.ApproximateNumberOfMessages ?? 0) +
          Number(queue.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      },
    });
  } finally {
    lambda.destroy();
    sqs.destroy();
  }
}, 120_000);

test('seed writes the orders into the deployed source table', async () => {
  const r = await cli(['seed', '--count', '30', '--seed', '7', '--json']);
  expect(ok(r)).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(r.stdout)).toMatchObject({ inserted: 30, updated: 0, deleted: 0 });
  const ddb = await createDynamoDbClient(conn);
  try {
    const scan = await ddb.send(new ScanCommand({ TableName: STACK.source_table.name, Select: 'COUNT' }));
    expect(scan.Count).toBe(30);
  } finally {
    ddb.destroy();
  }
}, 120_000);

test('verify reads the PII key from SSM: a missing parameter says so, then the sink is reported not converged', async () => {
  const missing = await cli(['verify']);
  expect(missing.exitCode).toBe(1);
  expect(missing.stderr).toContain(`/${STACK.name}/pii-key`);
  expect(missing.stderr).toContain('ParameterNotFound');
  expect(missing.stderr).toContain(`aws --endpoint-url ${moto.endpoint} ssm put-parameter`);
  expect(missing.stderr).not.toMatch(/\n\s+at /);

  const ssm = await createSsmClient(conn);
  try {
    await ssm.send(
      new PutParameterCommand({
        Name: `/${STACK.name}/pii-key`,
        Type: 'SecureString',
        Value: 'ab'.repeat(32),
      }),
    );
    const r = await cli(['verify', '--json']);
    // moto runs no handler code: nothing reaches the sink.
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('The sink has not converged with the source.');
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: false, orders: { source: 30, sink: 0, matched: 0 } });
    expect(report.missing.count).toBeGreaterThanOrEqual(30);
  } finally {
    await ssm.send(new DeleteParameterCommand({ Name: `/${STACK.name}/pii-key` }));
    ssm.destroy();
  }
}, 120_000);

test('dlq lists on-failure messages and warns about a malformed one on every run', async () => {
  const message = {
    requestContext: {
      requestId: 'c0ffee00-0000-4000-8000-000000000001',
      functionArn: `${outputs.function_arn}:live`,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 4,
    },
    responseContext: { statusCode: 200, executedVersion: '1', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-12-01T10:00:00.000Z',
    DDBStreamBatchInfo: {
      shardId: 'shardId-00000001700000000000-aaaaaaaa',
      startSequenceNumber: '100000000000000000001',
      endSequenceNumber: '100000000000000000003',
      approximateArrivalOfFirstRecord: '2026-12-01T09:59:00Z',
      approximateArrivalOfLastRecord: '2026-12-01T09:59:01Z',
      batchSize: 3,
      streamArn: outputs.stream_arn,
    },
  };
  const sqs = await createSqsClient(conn);
  try {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: outputs.dlq_url, MessageBody: JSON.stringify(message) }),
    );
    await sqs.send(
      new SendMessageCommand({ QueueUrl: outputs.dlq_url, MessageBody: 'not an on-failure message' }),
    );
  } finally {
    sqs.destroy();
  }
  for (const run of [1, 2]) {
    const r = await cli(['dlq', '--json']);
    expect({ run, ...ok(r) }).toEqual({ run, code: 0, stderr: '' });
    expect(lines(r.stdout).map((l) => JSON.parse(l))).toEqual([message]);
    // The unreadable message stays visible: the second run sees it again.
    expect({ run, warned: /is not an on-failure message/.test(r.stderr) }).toEqual({ run, warned: true });
  }
  const human = await cli(['dlq']);
  expect(human.stdout).toContain('RetryAttemptsExhausted  shardId-00000001700000000000-aaaaaaaa');
}, 120_000);

test('logs reads the function log group in CloudWatch Logs', async () => {
  const logs = await createLogsClient(conn);
  const now = Date.now();
  try {
    await logs.send(
      new CreateLogStreamCommand({ logGroupName: outputs.log_group_name, logStreamName: 'e2e' }),
    );
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: outputs.log_group_name,
        logStreamName: 'e2e',
        logEvents: [
          { timestamp: now - 2000, message: 'START RequestId: 1f2e Version: 1' },
          {
            timestamp: now - 1000,
            message: JSON.stringify({ level: 'ERROR', message: 'record malformed', sequenceNumber: '7' }),
          },
          { timestamp: now, message: JSON.stringify({ level: 'INFO', message: 'batch done', records: 3 }) },
        ],
      }),
    );
  } finally {
    logs.destroy();
  }
  const r = await cli(['logs', '--since', '5m', '--json']);
  expect(ok(r)).toEqual({ code: 0, stderr: '' });
  const events = lines(r.stdout)
    .map((l) => JSON.parse(l))
    .filter((e) => e.logStreamName === 'e2e');
  expect(events.map((e) => [e.message.slice(0, 24), e.level ?? null, e.platform])).toEqual([
    ['START RequestId: 1f2e Ve', null, true],
    ['{"level":"ERROR","messag', 'ERROR', false],
    ['{"level":"INFO","message', 'INFO', false],
  ]);
  const errors = await cli(['logs', '--since', '5m', '--level', 'ERROR']);
  expect(ok(errors)).toEqual({ code: 0, stderr: '' });
  expect(lines(errors.stdout).filter((l) => l.includes('record malformed'))).toHaveLength(1);
  expect(errors.stdout).not.toContain('batch done');
}, 120_000);

test('replay --invoke remote: the deployed function (live alias) answers; a partial failure exits 1', async () => {
  const event = JSON.parse(await readFile(sampleEvent, 'utf8')) as {
    Records: { dynamodb: { SequenceNumber: string } }[];
  };
  const failed = event.Records[1]?.dynamodb.SequenceNumber as string;
  await moto.lambdaResults([{ batchItemFailures: [{ itemIdentifier: failed }] }, { batchItemFailures: [] }]);
  const partial = await cli(['replay', sampleEvent, '--invoke', 'remote']);
  expect(partial.exitCode).toBe(1);
  expect(partial.stdout).toMatch(/4 records .* 1 failed record\n/);
  expect(partial.stdout).toContain(`batchItemFailures: ${failed}`);
  expect(partial.stderr).toContain(`Replaying into ${STACK.function.name}:live`);
  expect(partial.stderr).toContain('Some records failed in the handler.');
  expect(partial.stderr).not.toMatch(/\n\s+at /);

  const clean = await cli(['replay', sampleEvent, '--invoke', 'remote', '--json']);
  expect(ok(clean)).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(lines(clean.stdout)[0] ?? 'null').outcome).toMatchObject({
    ok: true,
    batchItemFailures: [],
  });
}, 120_000);

test('tail --target aws reads a stream through the endpoint (a table without a mapping: moto consumes mapped streams)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-moto-tail-'));
  const table = 'moto-e2e-tail';
  await writeFile(path.join(dir, 'ddb-ingest.json'), JSON.stringify({ source_table: { name: table } }));
  const ddb = await createDynamoDbClient(conn);
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    for (const id of ['a', 'b', 'c']) {
      await ddb.send(new PutItemCommand({ TableName: table, Item: { orderId: { S: id } } }));
    }
    const r = await cli(['tail', '--from', 'trim-horizon', '--no-follow', '--json'], { dir });
    expect(ok(r)).toEqual({ code: 0, stderr: '' });
    expect(lines(r.stdout).map((l) => JSON.parse(l).dynamodb.Keys.orderId.S)).toEqual(['a', 'b', 'c']);
  } finally {
    await ddb.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
    ddb.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a second deploy publishes version 2 and moves live to it; rollback moves live back to 1', async () => {
  await writeStack({ ...STACK, function: { ...STACK.function, environment: { RELEASE: '2' } } });
  const second = await timed('second up', () => cli(['up', '--yes']));
  expect(ok(second)).toEqual({ code: 0, stderr: '' });
  expect(second.stdout).toContain('(live -> version 2)');
  expect(second.stderr).toContain('live moved from version 1 to 2 at once: this stack has no CodeDeploy');
  const lambda = await createLambdaClient(conn);
  try {
    const alias = async () =>
      (await lambda.send(new GetAliasCommand({ FunctionName: STACK.function.name, Name: 'live' })))
        .FunctionVersion;
    expect(await alias()).toBe('2');
    const versions = await lambda.send(
      new ListVersionsByFunctionCommand({ FunctionName: STACK.function.name }),
    );
    expect(versions.Versions?.map((v) => v.Version).sort()).toEqual(['$LATEST', '1', '2']);

    const rollback = await timed('rollback', () => cli(['rollback', '--yes', '--json']));
    expect(ok(rollback)).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(rollback.stdout)).toEqual({ target: 'aws', result: 'moved-back', from: '2', to: '1' });
    expect(rollback.stderr).toContain('live was moved back at once');
    expect(await alias()).toBe('1');
    // Nothing left to go back to from version 1.
    const again = await cli(['rollback', '--yes']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('No version to roll moto-e2e-ingest:live back to from version 1');
    expect(again.stderr).not.toMatch(/\n\s+at /);
    // The mapping still invokes the alias, so it now runs version 1.
    const mapping = await lambda.send(
      new GetEventSourceMappingCommand({ UUID: (await readOutputs()).event_source_mapping_uuid }),
    );
    expect(mapping.FunctionArn).toMatch(new RegExp(`function:${STACK.function.name}:(live|1)$`));
  } finally {
    lambda.destroy();
  }
}, 900_000);

test('down --target aws --yes leaves nothing behind; then every command says no deployment is found', async () => {
  const r = await timed('down', () => cli(['down', '--yes', '--json']));
  expect(ok(r)).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(r.stdout)).toEqual({ target: 'aws', destroyed: true });

  const ddb = await createDynamoDbClient(conn);
  const lambda = await createLambdaClient(conn);
  const sqs = await createSqsClient(conn);
  const logs = await createLogsClient(conn);
  try {
    expect((await ddb.send(new ListTablesCommand({}))).TableNames ?? []).toEqual([]);
    expect((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).toEqual([]);
    expect((await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings ?? []).toEqual([]);
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    expect((await logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? []).toEqual([]);
  } finally {
    ddb.destroy();
    lambda.destroy();
    sqs.destroy();
    logs.destroy();
  }
  // The role (and its inline policy with it), the alarms and the dashboard are gone too.
  expect(await queryInventory()).toEqual({ roles: [], alarms: [], dashboards: [] });

  for (const args of [['down', '--yes'], ['status'], ['logs']]) {
    const again = await cli(args);
    expect({ args, code: again.exitCode }).toEqual({ args, code: 1 });
    expect(again.stderr).toContain('No deployment found');
    expect(again.stderr).not.toContain('terraform init');
  }
}, 600_000);
