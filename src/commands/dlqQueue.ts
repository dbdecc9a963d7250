import type { RunContext } from '../context.js';
import { RuntimeError } from '../errors.js';
import type { DlqQueue } from '../replay/dlq.js';

/**
 * The on-failure queue of the stack `dlq` and `replay --from-dlq` work on:
 * the local directory, or the SQS queue whose URL `up --target aws` saved.
 */
export async function openDlqQueue(
  ctx: RunContext,
  /** SQS: how long received messages stay hidden while the command works on them. */
  visibilityTimeoutSeconds?: number,
): Promise<{ queue: DlqQueue; close(): void }> {
  const dlq = await import('../replay/dlq.js');
  if (ctx.target === 'local') {
    const { pipelinePaths } = await import('../targets/local/pipeline.js');
    return { queue: dlq.localDlq(pipelinePaths(ctx.stateDir).dlqDir), close: () => {} };
  }
  const [{ requireAwsOutputs, terraformPaths }, { createSqsClient }, { awsConnection }] = await Promise.all([
    import('../targets/aws/terraform.js'),
    import('../aws/clients.js'),
    import('../context.js'),
  ]);
  const outputs = (await requireAwsOutputs(ctx.stateDir)) as { dlq_url?: unknown };
  const file = terraformPaths(ctx.stateDir).outputsFile;
  if (typeof outputs.dlq_url !== 'string' || outputs.dlq_url === '') {
    throw new RuntimeError(
      `${file} has no dlq_url.`,
      'Run `ddb-ingest up --target aws` again to refresh the outputs.',
    );
  }
  const client = await createSqsClient(awsConnection(ctx));
  return {
    queue: dlq.sqsDlq({ client, queueUrl: outputs.dlq_url, visibilityTimeoutSeconds, signal: ctx.signal }),
    close: () => client.destroy(),
  };
}
