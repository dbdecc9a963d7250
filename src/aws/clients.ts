import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsService, ServiceEndpoints } from './endpoints.js';
import { tagFailuresMiddleware } from './failures.js';

/**
 * Where the AWS clients point. The local target passes DynamoDB Local's
 * endpoint and dummy credentials (DynamoDB Local runs with -sharedDb, so any
 * credentials see the same tables); the aws target passes profile, region and
 * the endpoints resolved from --endpoint-url / AWS_ENDPOINT_URL[_<SERVICE>].
 */
export interface AwsConnection {
  region: string;
  /** One endpoint for every service (DynamoDB Local, or an explicit override). */
  endpoint?: string | undefined;
  /** Per-service endpoints (see resolveEndpoints); they win over `endpoint`. */
  endpoints?: ServiceEndpoints | undefined;
  profile?: string | undefined;
  /** Static credentials; used for DynamoDB Local, which ignores them. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK retry attempts (the SDK default is 3). */
  maxAttempts?: number;
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'ddblocal', secretAccessKey: 'ddblocal' } as const;

/** The endpoint `service` is reached at on this connection, or undefined for AWS's own. */
export function endpointFor(conn: AwsConnection, service: AwsService): string | undefined {
  return conn.endpoints?.[service] ?? conn.endpoint;
}

/** Client settings for one service (exported for the tests of endpoint resolution). */
export function clientConfig(conn: AwsConnection, service: AwsService) {
  const endpoint = endpointFor(conn, service);
  return {
    region: conn.region,
    ...(endpoint ? { endpoint } : {}),
    ...(conn.credentials ? { credentials: conn.credentials } : {}),
    ...(conn.profile && !conn.credentials ? { profile: conn.profile } : {}),
    ...(conn.maxAttempts ? { maxAttempts: conn.maxAttempts } : {}),
  };
}

interface SdkClient {
  middlewareStack: { add(middleware: never, options: Record<string, unknown>): void };
}

/**
 * A client for `service` on `conn` whose failures carry where they went (for
 * classifyAwsFailure): the one place every SDK client of the CLI is made.
 */
function make<C extends SdkClient>(
  Client: new (config: ReturnType<typeof clientConfig>) => C,
  conn: AwsConnection,
  service: AwsService,
): C {
  const config = clientConfig(conn, service);
  const client = new Client(config);
  client.middlewareStack.add(
    tagFailuresMiddleware({
      service,
      endpoint: config.endpoint,
      region: conn.region,
      profile: config.profile,
    }) as never,
    { step: 'initialize', name: 'ddbIngestTagFailures', priority: 'high' },
  );
  return client;
}

// Each SDK is loaded on first use so `ddb-ingest --help` does not pay for it.
export async function createDynamoDbClient(conn: AwsConnection): Promise<DynamoDBClient> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  return make(DynamoDBClient, conn, 'dynamodb');
}

export async function createStreamsClient(conn: AwsConnection): Promise<DynamoDBStreamsClient> {
  const { DynamoDBStreamsClient } = await import('@aws-sdk/client-dynamodb-streams');
  return make(DynamoDBStreamsClient, conn, 'dynamodbstreams');
}

export async function createLambdaClient(conn: AwsConnection): Promise<LambdaClient> {
  const { LambdaClient } = await import('@aws-sdk/client-lambda');
  return make(LambdaClient, conn, 'lambda');
}

export async function createSqsClient(conn: AwsConnection): Promise<SQSClient> {
  const { SQSClient } = await import('@aws-sdk/client-sqs');
  return make(SQSClient, conn, 'sqs');
}

export async function createLogsClient(conn: AwsConnection): Promise<CloudWatchLogsClient> {
  const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
  return make(CloudWatchLogsClient, conn, 'logs');
}

export async function createSsmClient(conn: AwsConnection): Promise<SSMClient> {
  const { SSMClient } = await import('@aws-sdk/client-ssm');
  return make(SSMClient, conn, 'ssm');
}

export async function createCodeDeployClient(conn: AwsConnection): Promise<CodeDeployClient> {
  const { CodeDeployClient } = await import('@aws-sdk/client-codedeploy');
  return make(CodeDeployClient, conn, 'codedeploy');
}
