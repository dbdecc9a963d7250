import { Command } from 'commander';
import type { RunContext } from '../context.js';
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
        const report = ctx.target === 'aws' ? await statusOnAws(ctx) : await statusLocally(ctx);
        if (ctx.output.json) return ctx.output.jsonLine(report);
        renderStatus(ctx.output, report);
      }),
    );
}

async function statusLocally(ctx: RunContext): Promise<StatusReport> {
  const { localStatus } = await import('../targets/local/stack.js');
  return localStatus({ stack: ctx.stack, stateDir: ctx.stateDir }, { endpoint: ctx.flags.endpointUrl });
}

async function statusOnAws(ctx: RunContext): Promise<StatusReport> {
  const [{ awsStatus }, { createLambdaClient, createSqsClient }, { awsConnection }, { requireAwsOutputs }] =
    await Promise.all([
      import('../targets/aws/status.js'),
      import('../aws/clients.js'),
      import('../context.js'),
      import('../targets/aws/terraform.js'),
    ]);
  // Nothing deployed from this state dir is an error, not a "stopped" stack: there is nothing to ask AWS about.
  await requireAwsOutputs(ctx.stateDir);
  const conn = awsConnection(ctx);
  const [lambda, sqs] = await Promise.all([createLambdaClient(conn), createSqsClient(conn)]);
  try {
    return await awsStatus({
      stack: ctx.stack,
      stateDir: ctx.stateDir,
      endpoint: ctx.aws.endpoint,
      lambda,
      sqs,
      onWarning: (text) => ctx.output.warn(text),
    });
  } finally {
    lambda.destroy();
    sqs.destroy();
  }
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
