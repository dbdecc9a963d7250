import { Command } from 'commander';
import type { Output } from '../output.js';
import type { MappingReport, StatusReport } from '../targets/types.js';
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
        if (ctx.stackFile.model.pipeline) renderStatus(ctx.output, report);
        else renderMappingsStatus(ctx.output, report, ctx.stackFile.model);
      }),
    );
}

function renderHead(output: Output, r: StatusReport): void {
  const { style } = output;
  const state = r.running ? style.green('running') : style.yellow('stopped');
  output.line(`${style.bold('target')}     ${r.target} (${state})`);
  output.line(`endpoint   ${r.endpoint ?? '-'}   region ${r.region}`);
}

/**
 * A stack without the built-in pipeline: no source, sink or single function
 * to show, only its tables and one line per mapping (the report's top-level
 * `esm` is its first mapping's, which is the only one when `mappings` is absent).
 */
function renderMappingsStatus(
  output: Output,
  r: StatusReport,
  model: { tables: Record<string, { stream_view_type?: string | undefined }> },
): void {
  renderHead(output, r);
  const tables = Object.entries(model.tables).map(([name, t]) =>
    t.stream_view_type ? `${name} ${output.style.dim('(stream)')}` : name,
  );
  output.line(`tables     ${tables.join(', ')}`);
  renderMappings(
    output,
    r.mappings ?? [
      { function: r.function.name, table: r.tables.source, streamArn: r.streamArn, esm: r.esm, dlq: r.dlq },
    ],
  );
}

function renderStatus(output: Output, r: StatusReport): void {
  const { style } = output;
  renderHead(output, r);
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
  if (r.mappings) renderMappings(output, r.mappings);
}

function renderMappings(output: Output, mappings: MappingReport[]): void {
  const { style } = output;
  output.line(style.bold('mappings'));
  const names = mappings.map((m) => `${m.function} <- ${m.table}`);
  const width = Math.max(...names.map((n) => n.length));
  mappings.forEach((m, i) => {
    const age = m.esm.iteratorAgeMs === null ? 'no batch yet' : `age ${formatMs(m.esm.iteratorAgeMs)}`;
    const queue = m.dlq.messages > 0 ? style.red(`dlq ${m.dlq.messages}`) : 'dlq 0';
    output.line(
      `  ${(names[i] ?? '').padEnd(width)}  ${m.esm.state}${m.esm.caughtUp ? `, ${style.green('caught up')}` : ''}, last ${m.esm.lastProcessingResult ?? 'none yet'}, ${age}, ` +
        `${plural(m.esm.recordsProcessed ?? 0, 'record')}, ${plural(m.esm.batchesFailed ?? 0, 'failed batch', 'failed batches')}, ${queue}`,
    );
  });
}
