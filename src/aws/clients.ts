import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';

/**
 * Where the AWS clients point. The local target passes DynamoDB Local's
 * endpoint and dummy credentials (DynamoDB Local runs with -sharedDb, so any
 * credentials see the same tables); the aws target passes profile and region.
 */
export interface AwsConnection {
  region: string;
  endpoint?: string;
  profile?: string;
  /** Static credentials; used for DynamoDB Local, which ignores them. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK retry attempts (the SDK default is 3). */
  maxAttempts?: number;
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'ddblocal', secretAccessKey: 'ddblocal' } as const;

function clientConfig(conn: AwsConnection) {
  return {
    region: conn.region,
    ...(conn.endpoint ? { endpoint: conn.endpoint } : {}),
    ...(conn.credentials ? { credentials: conn.credentials } : {}),
    ...(conn.profile && !conn.credentials ? { profile: conn.profile } : {}),
    ...(conn.maxAttempts ? { maxAttempts: conn.maxAttempts } : {}),
  };
}

// The SDK is loaded on first use so `ddb-ingest --help` does not pay for it.
export async function createDynamoDbClient(conn: AwsConnection): Promise<DynamoDBClient> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  return new DynamoDBClient(clientConfig(conn));
}

export async function createStreamsClient(conn: AwsConnection): Promise<DynamoDBStreamsClient> {
  const { DynamoDBStreamsClient } = await import('@aws-sdk/client-dynamodb-streams');
  return new DynamoDBStreamsClient(clientConfig(conn));
}
