import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { createDynamoDbClient, createStreamsClient, LOCAL_CREDENTIALS } from '../../src/aws/clients.js';
import { startDynamoDbLocal, stopProcess } from '../../src/targets/local/dynamodbLocal.js';
import { getFreePort } from '../../src/util/net.js';

export interface TestDynamo {
  endpoint: string;
  port: number;
  pid: number;
  ddb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  stop(): Promise<void>;
}

/**
 * A fresh DynamoDB Local on a free port, one per test file: extra
 * stream-enabled tables in one process slow every write down, so tests never
 * share an instance. Fails loudly when Java is missing.
 */
export async function startTestDynamo(options: { dbPath?: string; port?: number } = {}): Promise<TestDynamo> {
  const port = options.port ?? (await getFreePort());
  const running = await startDynamoDbLocal({ port, dbPath: options.dbPath });
  const conn = { region: 'us-east-1', endpoint: running.endpoint, credentials: LOCAL_CREDENTIALS };
  const ddb = await createDynamoDbClient(conn);
  const streams = await createStreamsClient(conn);
  return {
    endpoint: running.endpoint,
    port,
    pid: running.pid,
    ddb,
    streams,
    async stop() {
      ddb.destroy();
      streams.destroy();
      await stopProcess(running.pid);
    },
  };
}

/**
 * A DynamoDB client on `endpoint` made as `seed` makes it (one attempt per
 * call: seed's BatchWriter does its own retries), destroyed once `fn` is done.
 */
export async function withSeedClient<T>(
  endpoint: string,
  fn: (client: DynamoDBClient) => Promise<T>,
): Promise<T> {
  const client = await createDynamoDbClient({
    region: 'us-east-1',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  try {
    return await fn(client);
  } finally {
    client.destroy();
  }
}
