import { Command } from 'commander';
import { InterruptedError, UsageError } from '../errors.js';
import type { Output } from '../output.js';
import type { ChangeLine } from '../streams/tail.js';
import { plural } from '../util/words.js';
import { action } from './action.js';

interface TailCommandOptions {
  from: string;
  follow: boolean;
  limit?: string;
  event?: string[];
  output?: string;
  table?: string;
}

export function tailCommand(): Command {
  return new Command('tail')
    .description("print the source table's stream records as they arrive")
    .option('--from <position>', 'trim-horizon, latest, an ISO time, or a sequence number', 'latest')
    .option('--no-follow', 'stop at the end of the stream instead of waiting for more')
    .option('--limit <n>', 'stop after this many records')
    .option(
      '--event <names>',
      'only these events: INSERT, MODIFY, REMOVE (comma-separated, or repeat the flag)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--output <file>', 'also write the records to this file as NDJSON (what `replay` reads)')
    .option('--table <name>', 'whose stream to read; required where several tables have streams')
    .addHelpText(
      'after',
      `
Human output is one line per change: time, event, key, and for MODIFY the
changed attributes as old -> new. --json prints each record in the shape a
Lambda function receives, one per line.

Examples:
  $ ddb-ingest tail
  $ ddb-ingest tail --from trim-horizon --no-follow --event MODIFY,REMOVE
  $ ddb-ingest tail --from 2026-11-25T10:00:00Z --limit 50 --json | jq .dynamodb.Keys
  $ ddb-ingest tail --from trim-horizon --no-follow --output changes.ndjson
  $ ddb-ingest replay changes.ndjson
  $ ddb-ingest tail --table customers`,
    )
    .action(
      action<TailCommandOptions>(async (ctx, opts) => {
        const [{ parseTailOptions }, { tail, formatChange }] = await Promise.all([
          import('./tailOptions.js'),
          import('../streams/tail.js'),
        ]);
        const options = parseTailOptions(
          {
            from: opts.from,
            follow: opts.follow,
            limit: opts.limit,
            ...(opts.event ? { event: opts.event } : {}),
          },
          Date.now(),
        );
        const streamArn = await ctx.target.streamArn(opts.table !== undefined ? { table: opts.table } : {});
        const client = await ctx.target.clients.streams();
        const file = opts.output ? await openOutput(opts.output) : undefined;
        let count = 0;
        try {
          if (options.follow && !ctx.output.json) {
            ctx.output.info(ctx.output.style.dim(`Tailing ${streamArn} (Ctrl-C to stop)`));
          }
          for await (const record of tail({
            client,
            streamArn,
            options,
            signal: ctx.signal,
            onTrimmed: (info) =>
              ctx.output.warn(
                `shard ${info.shardId}: records were trimmed; going on from the oldest one held`,
              ),
          })) {
            count += 1;
            if (file) await file.write(`${JSON.stringify(record)}\n`);
            if (ctx.output.json) ctx.output.jsonLine(record);
            else ctx.output.line(renderChange(ctx.output, formatChange(record)));
          }
        } finally {
          client.destroy();
          await file?.close();
        }
        if (ctx.signal.aborted) {
          throw new InterruptedError(
            `${plural(count, 'record')} shown${opts.output ? `, all written to ${opts.output}` : ''}.`,
          );
        }
        if (!options.follow || options.limit !== undefined) {
          ctx.output.info(
            `${plural(count, 'record')}${opts.output ? ` written to ${opts.output}` : ''}${count === 0 && !options.follow && options.from.type === 'latest' ? ' (--from latest shows only new changes; try --from trim-horizon)' : ''}`,
          );
        }
      }),
    );
}

async function openOutput(file: string) {
  const { open } = await import('node:fs/promises');
  try {
    return await open(file, 'w');
  } catch (err) {
    throw new UsageError(`Cannot write --output ${file}: ${(err as Error).message}`);
  }
}

/** One compact, coloured line: dim time, coloured event, key, then the change. */
function renderChange(output: Output, line: ChangeLine): string {
  const { style } = output;
  const paint = { INSERT: style.green, MODIFY: style.yellow, REMOVE: style.red }[line.event];
  let detail = '';
  if (line.event === 'MODIFY') {
    detail = line.changes
      .map(
        (c) =>
          `${style.cyan(c.name)} ${style.dim(c.old ?? '(none)')} ${style.dim('→')} ${c.new ?? style.dim('(removed)')}`,
      )
      .join('  ');
  } else if (line.summary) {
    detail = style.dim(line.summary);
  }
  const mark = line.mark ? style.dim(line.mark) : '';
  return [style.dim(line.time), paint(line.event.padEnd(6)), mark, style.bold(line.key), detail]
    .filter((part) => part !== '')
    .join('  ');
}
