import { Command } from 'commander';
import { RuntimeError } from '../errors.js';
import type { Output } from '../output.js';
import type { StatusReport } from '../targets/types.js';
import { action } from './action.js';

export function statusCommand(): Command {
  return new Command('status')
    .description('what is running, where, and how the pipeline is doing')
    .addHelpText(
      'after',
      '\nExamples:\n  $ ddb-ingest status\n  $ ddb-ingest status --json | jq .esm.iteratorAgeMs',
    )
    .action(
      action(async (ctx) => {
        if (ctx.target === 'aws') {
          throw new RuntimeError('The aws target is not wired into `status` yet.');
        }
        const { localStatus } = await import('../targets/local/stack.js');
        const report = await localStatus({ stack: ctx.stack, stateDir: ctx.stateDir });
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
  const age = r.esm.iteratorAgeMs === null ? '-' : `${r.esm.iteratorAgeMs} ms`;
  output.line(
    `esm        ${r.esm.state}, last result ${r.esm.lastProcessingResult ?? '-'}, iterator age ${age}, ` +
      `${r.esm.recordsProcessed} records, ${r.esm.batchesFailed} failed batches`,
  );
  const dlq = r.dlq.messages > 0 ? style.red(String(r.dlq.messages)) : '0';
  output.line(`dlq        ${dlq} messages`);
}
