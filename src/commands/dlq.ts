import { Command } from 'commander';
import { plural } from '../util/words.js';
import { action } from './action.js';
import { confirm } from './confirm.js';
import { commandPrefix } from './invocation.js';

interface DlqOptions {
  purge?: boolean;
  yes?: boolean;
  function?: string;
}

export function dlqCommand(): Command {
  return new Command('dlq')
    .description("list the event source mapping's on-failure messages, oldest first")
    .option('--purge', 'delete every message (asks on a TTY)')
    .option('-y, --yes', 'purge without asking')
    .option(
      '--function <name>',
      "whose queue (all of the function's mappings); required where the stack has several functions",
    )
    .addHelpText(
      'after',
      `
Each message names a discarded batch (shard, sequence range, size, why); it holds
no record data. Re-drive it with \`ddb-ingest replay --from-dlq\`.
On the aws target the messages are read from the SQS queue and left on it.

Examples:
  $ ddb-ingest dlq
  $ ddb-ingest dlq --json | jq .DDBStreamBatchInfo.startSequenceNumber
  $ ddb-ingest dlq --purge --yes
  $ ddb-ingest dlq --function audit`,
    )
    .action(
      action<DlqOptions>(async (ctx, opts) => {
        const { peekQueue, purgeQueue } = await import('../replay/dlq.js');
        const { queue, close } = await ctx.target.onFailureQueue({
          visibilityTimeoutSeconds: 30,
          signal: ctx.signal,
          function: opts.function,
        });
        try {
          if (opts.purge) {
            const { entries } = await peekQueue(queue);
            if (entries.length === 0) return ctx.output.info('The on-failure queue is empty.');
            if (!(await confirm(ctx.output, `Delete ${entries.length} on-failure messages?`, opts.yes))) {
              return ctx.output.info('Nothing deleted.');
            }
            const deleted = await purgeQueue(queue);
            if (ctx.output.json) ctx.output.jsonLine({ purged: deleted });
            return ctx.output.info(`Deleted ${deleted} on-failure messages.`);
          }
          const { entries, unreadable } = await peekQueue(queue);
          for (const bad of unreadable)
            ctx.output.warn(`message ${bad.id} is not an on-failure message: ${bad.problem}`);
          if (ctx.output.json) {
            for (const { message } of entries) ctx.output.jsonLine(message);
            return;
          }
          if (entries.length === 0) return ctx.output.info('The on-failure queue is empty.');
          const { style } = ctx.output;
          for (const { message } of entries) {
            const info = message.DDBStreamBatchInfo;
            ctx.output.line(
              `${style.dim(message.timestamp)}  ${style.red(message.requestContext.condition)}  ` +
                `${info.shardId}  ${info.startSequenceNumber}..${info.endSequenceNumber}  ` +
                `${plural(info.batchSize, 'record')}  invokes ${message.requestContext.approximateInvokeCount}`,
            );
          }
          ctx.output.info(
            `${plural(entries.length, 'message')}; re-drive with: ${commandPrefix(ctx.flags)} replay --from-dlq`,
          );
        } finally {
          close();
        }
      }),
    );
}
