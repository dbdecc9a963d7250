import { Command } from 'commander';
import type { Output } from '../output.js';
import type { StatusReport } from '../targets/types.js';
import { formatMs, plural } from '../util/words.js';
import { action } from './action.js';

export function statusCommand(): Command {
  return new Command('status')
    .description('what is running, where, and how the pipeline is doing')
    .addHelpText(
      'after',
      '\nExamples:\n  $ ddb-ingest status\n  $ ddb-ingest status --json | jq .esm.caughtUp',
    )
    .action(
      action(async (ctx) => {
        const report = await ctx.target.status({ onWarning: (text) => ctx.output.warn(text) });
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
}
