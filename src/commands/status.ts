import { Command } from 'commander';
import type { Output } from '../output.js';
import type { StatusReport } from '../targets/types.js';
import { formatMs, plural } from '../util/words.js';
import { action } from './action.js';

export function statusCommand(): Command {
  return new Command('status')
    .description('what is running, where, and how the pipeline is doing')
    .option('--function <name>', "only this function's mappings")
    .addHelpText(
      'after',
      "\nWith several mappings (functions x streams), one line each: function <- table, state,\nlast result, iterator age, records processed, failed batches, on-failure queue depth.\n\nExamples:\n  $ ddb-ingest status\n  $ ddb-ingest status --json | jq .esm.caughtUp\n  $ ddb-ingest status --json | jq '.mappings[] | {function, table, state: .esm.state}'",
    )
    .action(
      action<{ function?: string }>(async (ctx, opts) => {
        const report = await ctx.target.status(
          { onWarning: (text) => ctx.output.warn(text) },
          opts.function !== undefined ? { function: opts.function } : {},
        );
        if (ctx.output.json) return ctx.output.jsonLine(report);
        renderStatus(ctx.output, report);
      }),
    );
}

function renderStatus(output: Output, r: StatusReport): void {
  const { style } = output;
  const state = r.running ? style.green('running') : style.yellow('stopped');
  output.line(`${style.bold('target')}     ${r.target} (${state})`);
  output.line(`endpoint   ${r.endpoint ?? '-'}   region ${r.region}`);
  output.line(`source     ${r.tables.source}${r.tables.sourceExists ? '' : style.dim(' (missing)')}`);
  output.line(`sink       ${r.tables.sink}${r.tables.sinkExists ? '' : style.dim(' (missing)')}`);
  output.line(`stream     ${r.streamArn ?? '-'}`);
  output.line(`function   ${r.function.name}`);
  const measured = r.esm.iteratorAgeMeasuredAt
    ? ` (last batch, ${r.esm.iteratorAgeMeasuredAt.slice(11, 19)} UTC)`
    : '';
  const age =
    r.esm.iteratorAgeMs === null
      ? 'iterator age: no batch yet'
      : `iterator age ${formatMs(r.esm.iteratorAgeMs)}${measured}`;
  const counts =
    r.esm.recordsProcessed === null
      ? ''
      : `, ${plural(r.esm.recordsProcessed, 'record')}, ${plural(r.esm.batchesFailed ?? 0, 'failed batch', 'failed batches')}`;
  output.line(
    `esm        ${r.esm.state}${r.esm.caughtUp ? `, ${style.green('caught up')}` : ''}, last result ${r.esm.lastProcessingResult ?? 'none yet'}, ${age}${counts}`,
  );
  const dlq = r.dlq.messages > 0 ? style.red(plural(r.dlq.messages, 'message')) : '0 messages';
  output.line(`dlq        ${dlq}`);
  if (!r.mappings) return;
  output.line(style.bold('mappings'));
  const names = r.mappings.map((m) => `${m.function} <- ${m.table}`);
  const width = Math.max(...names.map((n) => n.length));
  r.mappings.forEach((m, i) => {
    const age = m.esm.iteratorAgeMs === null ? 'no batch yet' : `age ${formatMs(m.esm.iteratorAgeMs)}`;
    const queue = m.dlq.messages > 0 ? style.red(`dlq ${m.dlq.messages}`) : 'dlq 0';
    output.line(
      `  ${(names[i] ?? '').padEnd(width)}  ${m.esm.state}${m.esm.caughtUp ? `, ${style.green('caught up')}` : ''}, last ${m.esm.lastProcessingResult ?? 'none yet'}, ${age}, ` +
        `${plural(m.esm.recordsProcessed ?? 0, 'record')}, ${plural(m.esm.batchesFailed ?? 0, 'failed batch', 'failed batches')}, ${queue}`,
    );
  });
}
