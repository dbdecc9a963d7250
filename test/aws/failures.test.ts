import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import {
  type AwsConnection,
  createDynamoDbClient,
  createLambdaClient,
  createLogsClient,
  createSqsClient,
  createSsmClient,
} from '../../src/aws/clients.js';
import { AwsError } from '../../src/aws/errors.js';
import { callSiteOf, classifyAwsFailure } from '../../src/aws/failures.js';
import { toCliError } from '../../src/errorMessages.js';
import type { CliError } from '../../src/errors.js';
import { getFreePort } from '../../src/util/net.js';
import { readSsmPiiKey } from '../../src/verify/key.js';
import { runCli } from '../helpers/cli.js';
import { awsJsonError, type FakeAws, startFakeAws } from '../helpers/fakeAws.js';

// Real SDK clients (from src/aws/clients.ts, as the CLI makes them) against a
// local HTTP server that answers like a broken or unfriendly endpoint, and
// against a port nothing listens on.

let fake: FakeAws;
let conn: AwsConnection;
const CREDS = { accessKeyId: 'test', secretAccessKey: 'test' };

beforeAll(async () => {
  fake = await startFakeAws({ status: 200, body: '{}' });
  conn = { region: 'us-east-1', endpoint: fake.endpoint, credentials: CREDS, maxAttempts: 1 };
});
afterAll(async () => fake?.close());

/** The classified error with what the user reads (message, hint, exit code) beside its code and details. */
type Failure = CliError & { code: string; site: Record<string, unknown> };

async function failureOf(promise: Promise<unknown>): Promise<Failure> {
  const err = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  return shown(err);
}

function shown(err: unknown): Failure {
  const classified = classifyAwsFailure(err);
  if (!(classified instanceof AwsError)) throw new Error(`not classified: ${String(err)}`);
  // The typed error keeps the SDK's error as its cause.
  expect(classified.cause).toBe(err);
  const cli = toCliError(classified) as CliError;
  expect(cli.exitCode).toBe(1);
  return Object.assign(cli, { code: classified.code, site: { ...classified.details } });
}

test('an HTML 500 page is an unparseable answer, named with the service and endpoint', async () => {
  fake.respond({
    status: 500,
    body: '<html><body><h1>500 Internal Server Error</h1></body></html>',
    headers: { 'content-type': 'text/html' },
  });
  const ssm = await createSsmClient(conn);
  const lambda = await createLambdaClient(conn);
  try {
    const ssmFailure = await failureOf(ssm.send(new GetParameterCommand({ Name: '/x' })));
    expect(ssmFailure.code).toBe('aws.bad-response');
    expect(ssmFailure.message).toBe(
      `SSM at ${fake.endpoint} answered HTTP 500 with something that is not a SSM API response (GetParameter).`,
    );
    expect(ssmFailure.hint).toContain(`Check that ${fake.endpoint} is the AWS API emulator's address`);
    const lambdaFailure = await failureOf(
      lambda.send(new InvokeCommand({ FunctionName: 'f', Payload: new TextEncoder().encode('{}') })),
    );
    expect(lambdaFailure.code).toBe('aws.bad-response');
    expect(lambdaFailure.site).toEqual({
      service: 'lambda',
      endpoint: fake.endpoint,
      region: 'us-east-1',
      operation: 'Invoke',
      variable: 'AWS_ENDPOINT_URL_LAMBDA',
    });
  } finally {
    ssm.destroy();
    lambda.destroy();
  }
});

test('5xx, throttling, access denied and bad credentials each get their own code and hint', async () => {
  const logs = await createLogsClient(conn);
  const call = () => logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/f' }));
  try {
    fake.respond({ status: 503, body: awsJsonError('ServiceUnavailableException', 'try later') });
    const unavailable = await failureOf(call());
    expect(unavailable.code).toBe('aws.service-error');
    expect(unavailable.message).toContain(
      `CloudWatch Logs at ${fake.endpoint} failed on its side (FilterLogEvents)`,
    );
    expect(unavailable.message).toContain('HTTP 503');

    fake.respond({ status: 400, body: awsJsonError('ThrottlingException', 'Rate exceeded') });
    const throttled = await failureOf(call());
    expect(throttled.code).toBe('aws.throttled');
    expect(throttled.hint).toMatch(/wait a little and run again/);

    fake.respond({
      status: 400,
      body: awsJsonError('AccessDeniedException', 'not authorized to perform logs:FilterLogEvents'),
    });
    const denied = await failureOf(call());
    expect(denied.code).toBe('aws.access-denied');
    expect(denied.message).toContain('not authorized to perform logs:FilterLogEvents');

    fake.respond({
      status: 400,
      body: awsJsonError(
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      ),
    });
    const badKey = await failureOf(call());
    expect(badKey.code).toBe('aws.credentials');
    // With a custom endpoint the hint is the emulator one.
    expect(badKey.hint).toContain('AWS_ACCESS_KEY_ID=test');
  } finally {
    logs.destroy();
  }
});

test("a service's own answer (ResourceNotFoundException) is left to the caller, tagged with where it came from", async () => {
  fake.respond({
    status: 400,
    body: awsJsonError('com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', 'no table'),
  });
  const ddb = await createDynamoDbClient(conn);
  try {
    const err = await ddb.send(new DescribeTableCommand({ TableName: 't' })).catch((e: unknown) => e);
    expect((err as Error).name).toBe('ResourceNotFoundException');
    expect(classifyAwsFailure(err)).toBeUndefined();
    expect(callSiteOf(err)).toMatchObject({ service: 'dynamodb', operation: 'DescribeTable' });
  } finally {
    ddb.destroy();
  }
});

test('a port nothing listens on is an unreachable endpoint; a wrapped SDK error is classified by its cause', async () => {
  const closed = `http://127.0.0.1:${await getFreePort()}`;
  const sqs = await createSqsClient({ ...conn, endpoint: closed });
  try {
    const err = await sqs
      .send(new ReceiveMessageCommand({ QueueUrl: `${closed}/123456789012/q` }))
      .catch((e: unknown) => e);
    const classified = classifyAwsFailure(new Error('gave up after retries', { cause: err }));
    expect(classified?.cause).toBe(err);
    expect(classified?.code).toBe('aws.endpoint-unreachable');
    const failure = toCliError(classified);
    expect(failure?.message).toBe(`Cannot reach SQS at ${closed} (ReceiveMessage): ECONNREFUSED.`);
    expect(failure?.hint).toContain(`Nothing answers at ${closed}`);
    expect(failure?.hint).toContain('AWS_ENDPOINT_URL_SQS');
  } finally {
    sqs.destroy();
  }
});

test('no credentials at all is a credentials failure, not a bug', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'no-creds-'));
  const saved = { ...process.env };
  for (const key of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  ]) {
    delete process.env[key];
  }
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
  process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const ssm = await createSsmClient({ region: 'us-east-1', endpoint: fake.endpoint, maxAttempts: 1 });
  try {
    const failure = await failureOf(ssm.send(new GetParameterCommand({ Name: '/x' })));
    expect(failure.code).toBe('aws.credentials');
    expect(failure.message).toContain(`SSM at ${fake.endpoint} has no valid credentials (GetParameter)`);
  } finally {
    ssm.destroy();
    process.env = saved;
    await rm(dir, { recursive: true, force: true });
  }
});

test('SSM key errors keep their cause: a missing parameter hints the setup command, a denied one the permission', async () => {
  const ssm = await createSsmClient(conn);
  try {
    fake.respond({ status: 400, body: awsJsonError('ParameterNotFound', '') });
    const missing = await readSsmPiiKey(ssm, '/stack/pii-key', {
      setupCommand: 'aws ssm put-parameter --name /stack/pii-key ...',
    }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'verify.ssm-key-missing' });
    expect(toCliError(missing)).toMatchObject({
      message:
        'SSM parameter /stack/pii-key does not exist (ParameterNotFound): the PII key has not been created.',
      hint: 'Create it once with: aws ssm put-parameter --name /stack/pii-key ...',
      exitCode: 1,
    });
    expect((missing as { cause: Error }).cause.name).toBe('ParameterNotFound');

    fake.respond({ status: 400, body: awsJsonError('AccessDeniedException', 'no ssm:GetParameter') });
    const denied = await readSsmPiiKey(ssm, '/stack/pii-key').catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: 'verify.ssm-key-denied' });
    expect((denied as Error).message).toContain('no ssm:GetParameter');
    expect(toCliError(denied)?.hint).toContain('kms:Decrypt');

    fake.respond({ status: 500, body: '<html>oops</html>', headers: { 'content-type': 'text/html' } });
    const html = await readSsmPiiKey(ssm, '/stack/pii-key').catch((e: unknown) => e);
    expect(html).toMatchObject({ code: 'aws.bad-response' });
  } finally {
    ssm.destroy();
  }
});

describe('through the built CLI', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-failures-'));
    // A deployment's outputs, so the aws-target commands get as far as calling AWS.
    await mkdir(path.join(cwd, '.ddb-ingest'), { recursive: true });
    await writeFile(
      path.join(cwd, '.ddb-ingest', 'aws-outputs.json'),
      JSON.stringify({
        region: 'us-east-1',
        function_name: 'ddb-ingest-ingest',
        log_group_name: '/aws/lambda/ddb-ingest-ingest',
        dlq_url: 'http://127.0.0.1:1/123456789012/q',
        source_table_name: 'ddb-ingest-orders',
        sink_table_name: 'ddb-ingest-ingested',
        pii_key_parameter_name: '/ddb-ingest/pii-key',
      }),
    );
  });
  afterAll(async () => rm(cwd, { recursive: true, force: true }));
  const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

  test('logs against a closed port: a typed error naming the endpoint, exit 1, no stack trace', async () => {
    const closed = `http://127.0.0.1:${await getFreePort()}`;
    const r = await runCli(['logs', '--target', 'aws', '--endpoint-url', closed], { cwd, env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(
      `error: Cannot reach CloudWatch Logs at ${closed} (FilterLogEvents): ECONNREFUSED`,
    );
    expect(r.stderr).toContain('hint: Nothing answers at');
    expect(r.stderr).not.toContain('This is a bug');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('seed against a closed port: the unreachable endpoint is the cause and the hint, not throttling', async () => {
    const closed = `http://127.0.0.1:${await getFreePort()}`;
    const r = await runCli(['seed', '--count', '5', '--target', 'aws', '--endpoint-url', closed], {
      cwd,
      env,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(
      `error: Seeding stopped during inserts: 5 of 5 items were not written (Cannot reach DynamoDB at ${closed} (BatchWriteItem): ECONNREFUSED).`,
    );
    expect(r.stderr).toContain(`hint: Nothing answers at ${closed}`);
    expect(r.stderr).not.toContain('throttling');
    // Suggested commands keep the user's target and endpoint, and name the target once.
    const status = await runCli(['status', '--target', 'aws', '--endpoint-url', closed], {
      cwd: await mkdtemp(path.join(os.tmpdir(), 'cli-failures-empty-')),
      env,
    });
    expect(status.exitCode).toBe(1);
    expect(status.stderr).toMatch(
      new RegExp(`hint: Deploy with \`[^\`]*--target aws --endpoint-url ${closed} up\``),
    );
  });

  test('replay --invoke remote against an HTML 500: a typed error, exit 1', async () => {
    fake.respond({ status: 500, body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } });
    const event = path.join(__dirname_(), '..', 'fixtures', 'sample-event.json');
    const r = await runCli(
      ['replay', event, '--invoke', 'remote', '--target', 'aws', '--endpoint-url', fake.endpoint],
      {
        cwd,
        env,
      },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(
      `Lambda at ${fake.endpoint} answered HTTP 500 with something that is not a Lambda API response (Invoke).`,
    );
    expect(r.stderr).not.toContain('This is a bug');
  });

  test('a malformed --endpoint-url or AWS_ENDPOINT_URL_<SERVICE> exits 2 and names where it came from', async () => {
    const flag = await runCli(['status', '--target', 'aws', '--endpoint-url', 'localhost:4566'], {
      cwd,
      env,
    });
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toContain('--endpoint-url "localhost:4566" is not an endpoint URL');
    const variable = await runCli(['status', '--target', 'aws'], {
      cwd,
      env: { ...env, AWS_ENDPOINT_URL_LAMBDA: 'http//oops' },
    });
    expect(variable.exitCode).toBe(2);
    expect(variable.stderr).toContain('AWS_ENDPOINT_URL_LAMBDA "http//oops" is not an endpoint URL');
  });
});

function __dirname_(): string {
  return path.dirname(new URL(import.meta.url).pathname);
}
