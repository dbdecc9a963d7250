import { Command } from 'commander';
import { RuntimeError } from '../errors.js';
import type { Output } from '../output.js';
import type { VerifyReport } from '../verify/verify.js';
import { action } from './action.js';
import { intOption } from './options.js';

interface VerifyCommandOptions {
  segments: number;
  examples: number;
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description('check that the sink equals the projection of the source (exit 1 when it does not)')
    .option('--segments <n>', 'parallel scan segments per table', intOption('--segments', 1, 64), 4)
    .option('--examples <n>', 'examples shown per kind of difference', intOption('--examples', 0, 1000), 5)
    .addHelpText(
      'after',
      `
Run it once writes have stopped and the pipeline has drained (status shows
iterator age near 0): a change still in flight shows as a difference.

Examples:
  $ ddb-ingest verify
  $ ddb-ingest verify --json | jq '.mismatched.examples'`,
    )
    .action(
      action<VerifyCommandOptions>(async (ctx, opts) => {
        if (ctx.target === 'aws') {
          throw new RuntimeError('`verify` on the aws target is not available yet.');
        }
        const [
          { verifySink },
          { readLocalPiiKey },
          { createDynamoDbClient },
          { requireLocalStack, localConnection },
        ] = await Promise.all([
          import('../verify/verify.js'),
          import('../verify/key.js'),
          import('../aws/clients.js'),
          import('../targets/local/stack.js'),
        ]);
        const state = await requireLocalStack(ctx.stateDir);
        const client = await createDynamoDbClient(localConnection(state));
        const spinner = await ctx.output.spinner('Scanning source and sink');
        let report: VerifyReport;
        try {
          report = await verifySink({
            client,
            sourceTable: ctx.stack.source_table.name,
            sinkTable: ctx.stack.sink_table.name,
            secretKey: await readLocalPiiKey(state.piiKeyFile),
            segments: opts.segments,
            examples: opts.examples,
            onProgress: (p) => spinner.update(`Scanning ${p.table}: ${p.items} items`),
          });
          spinner.stop();
        } catch (err) {
          spinner.fail('verify failed');
          throw err;
        } finally {
          client.destroy();
        }
        if (ctx.output.json) ctx.output.jsonLine(report);
        else renderReport(ctx.output, report);
        if (!report.ok) {
          throw new RuntimeError(
            'The sink has not converged with the source.',
            'If writes are still flowing, wait for `ddb-ingest status` to show the pipeline idle and run verify again.',
          );
        }
      }),
    );
}

function renderReport(output: Output, r: VerifyReport): void {
  const { style } = output;
  output.line(
    `orders     ${r.orders.matched}/${r.orders.source} match (${r.orders.sink} in the sink, ${r.tombstones} tombstones)`,
  );
  output.line(`customers  ${r.customers.matched}/${r.customers.expected} aggregates match`);
  const section = (name: string, list: VerifyReport['missing']) => {
    if (list.count === 0) return;
    output.line(style.red(`${name}: ${list.count}`));
    for (const d of list.examples) {
      const detail = d.field
        ? `  ${d.field}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`
        : '';
      output.line(`  ${d.pk}${detail}${d.actual && !d.field ? `  ${String(d.actual)}` : ''}`);
    }
  };
  section('missing', r.missing);
  section('extra', r.extra);
  section('mismatched', r.mismatched);
  section('unreadable source items', r.invalidSource);
  output.line(r.ok ? style.green('OK: the sink matches the source') : style.red('NOT CONVERGED'));
}
