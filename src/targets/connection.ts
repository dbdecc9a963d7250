import type { AwsConnection } from '../aws/clients.js';
import { awsConnection, type Context } from '../context.js';

/**
 * Where the stack's tables are: the running local stack's DynamoDB Local, or
 * AWS (profile/region/endpoint from the global options and AWS_* variables).
 * On the local target only an explicit --endpoint-url overrides the stack's.
 */
export async function sourceConnection(ctx: Context): Promise<AwsConnection> {
  if (ctx.target === 'aws') return awsConnection(ctx);
  const { requireLocalStack, localConnection } = await import('./local/stack.js');
  const state = await requireLocalStack(ctx.stateDir);
  const conn = localConnection(state);
  return ctx.flags.endpointUrl ? { ...conn, endpoint: ctx.flags.endpointUrl } : conn;
}
