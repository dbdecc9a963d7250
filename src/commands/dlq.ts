import path from 'node:path';
import { Command } from 'commander';
import { RuntimeError } from '../errors.js';
import { action } from './action.js';
import { confirm } from './confirm.js';

interface DlqOptions {
  purge?: boolean;
  yes?: boolean;
}

export function dlqCommand(): Command {
  return new Command('dlq')
    .description("list the event source mapping's on-failure messages, oldest first")
    .option('--purge', 'delete every message (asks on a TTY)')
    .option('-y, --yes', 'purge without asking')
    .addHelpText(
      'after',
      `
Each message names a discarded batch (shard, sequence range, size, why); it holds
no record data. Re-drive it with \`ddb-ingest replay --from-dlq\`.

Examples:
  $ ddb-ingest dlq
  $ ddb-ingest dlq --json | jq .DDBStreamBatchInfo.startSequenceNumber
  $ ddb-ingest dlq --purge --yes`,
    )
    .action(
      action<DlqOptions>(async (ctx, opts) => {
        if (ctx.target === 'aws') {
          throw new RuntimeError(
            '`dlq` on the aws target is not available yet.',
            'Inspect the SQS queue in the console.',
          );
        }
        const queue = await import('../esm/onFailureQueue.js');
        const dir = path.join(ctx.stateDir, 'dlq');
        if (opts.purge) {
          const count = await queue.countMessages(dir);
          if (count === 0) return ctx.output.info('The on-failure queue is empty.');
          if (!(await confirm(ctx.output, `Delete ${count} on-failure messages?`, opts.yes))) {
            return ctx.output.info('Nothing deleted.');
          }
          const deleted = await queue.purge(dir);
          if (ctx.output.json) ctx.output.jsonLine({ purged: deleted });
          return ctx.output.info(`Deleted ${deleted} on-failure messages.`);
        }
        const messages = await queue.listMessages(dir);
        if (ctx.output.json) {
          for (const { message } of messages) ctx.output.jsonLine(message);
          return;
        }
        if (messages.length === 0) return ctx.output.info('The on-failure queue is empty.');
        const { style } = ctx.output;
        for (const { message } of messages) {
          const info = message.DDBStreamBatchInfo;
          ctx.output.line(
            `${style.dim(message.timestamp)}  ${style.red(message.requestContext.condition)}  ` +
              `${info.shardId}  ${info.startSequenceNumber}..${info.endSequenceNumber}  ` +
              `${info.batchSize} records  invokes ${message.requestContext.approximateInvokeCount}`,
          );
        }
        ctx.output.info(`${messages.length} message(s); re-drive with: ddb-ingest replay --from-dlq`);
      }),
    );
}
