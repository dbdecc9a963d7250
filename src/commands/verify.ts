import { Command } from 'commander';
import { InterruptedError, RuntimeError } from '../errors.js';
import type { Output } from '../output.js';
import { abortable } from '../util/abort.js';
import type { RepairReport } from '../verify/repair.js';
import type { VerifyReport } from '../verify/verify.js';
import { action } from './action.js';
import { intOption } from './options.js';

interface VerifyCommandOptions {
  segments: number;
  examples: number;
  repair?: boolean;
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description('check that the sink equals the projection of the source (exit 1 when it does not)')
    .option('--segments <n>', 'parallel scan segments per table', intOption('--segments', 1, 64), 4)
    .option('--examples <n>', 'examples shown per kind of difference', intOption('--examples', 0, 1000), 5)
    .option(
      '--repair',
      'rewrite what differs from the source (safe while the pipeline runs), then verify again',
    )
    .addHelpText(
      'after',
      `
Run it once writes have stopped and the pipeline has drained (status shows
iterator age near 0): a change still in flight shows as a difference.

--repair writes with the handler's projection and never overwrites a change
the pipeline applies meanwhile (see docs/reliability.md).

Examples:
  $ ddb-ingest verify
  $ ddb-ingest verify --repair
  $ ddb-ingest verify --json | jq '.mismatched.examples'`,
    )
    .action(
      action<VerifyCommandOptions>(async (ctx, opts) => {
        const [{ verifySink }, { repairSink }, { requirePipeline }] = await Promise.all([
          import('../verify/verify.js'),
          import('../verify/repair.js'),
          import('../config/select.js'),
        ]);
        requirePipeline(ctx.stackFile.model, { command: 'verify' });
        const tables = await ctx.target.tables();
        const secretKey = await ctx.target.piiKey();
        const client = await ctx.target.clients.dynamodb();
        const spinner = await ctx.output.spinner('Scanning source and sink');
        const common = {
          client,
          sourceTable: tables.source,
          sinkTable: tables.sink,
          secretKey,
          segments: opts.segments,
          examples: opts.examples,
          onProgress: (p: { table: string; items: number }) =>
            spinner.update(`Scanning ${p.table}: ${p.items} items`),
        };
        let report: VerifyReport;
        let repair: RepairReport | undefined;
        try {
          if (opts.repair) {
            const { streamTip } = await import('../verify/streamTip.js');
            const streamArn = await ctx.target.streamArn();
            const streams = await ctx.target.clients.streams();
            try {
              repair = await abortable(
                repairSink({
                  ...common,
                  sourceHashKey: ctx.stack.source_table.hash_key,
                  streamTip: () => streamTip(streams, streamArn),
                }),
                ctx.signal,
              );
            } finally {
              streams.destroy();
            }
            spinner.update('Verifying the repaired sink');
          }
          report = await abortable(verifySink(common), ctx.signal);
          spinner.stop();
        } catch (err) {
          if (ctx.signal.aborted) {
            spinner.stop();
            throw new InterruptedError(
              opts.repair
                ? 'verify --repair stopped; each rewrite it made is whole, run it again to finish.'
                : 'verify stopped before the end of the scan; nothing was changed.',
            );
          }
          spinner.fail(opts.repair ? 'verify --repair failed' : 'verify failed');
          throw err;
        } finally {
          client.destroy();
        }
        if (ctx.output.json)
          ctx.output.jsonLine(repair ? { ...report, repair: repairSummary(repair) } : report);
        else {
          if (repair) renderRepair(ctx.output, repair);
          renderReport(ctx.output, report);
        }
        if (!report.ok) {
          throw new RuntimeError(
            repair
              ? 'The sink still differs from the source after the repair.'
              : 'The sink has not converged with the source.',
            'If writes are still flowing, wait for `ddb-ingest status` to show the pipeline idle and run verify again.',
          );
        }
      }),
    );
}

/** The `repair` object of `verify --repair --json`. */
function repairSummary(r: RepairReport) {
  const { before, ...rest } = r;
  return {
    ...rest,
    before: {
      ok: before.ok,
      missing: before.missing.count,
      extra: before.extra.count,
      mismatched: before.mismatched.count,
    },
  };
}

function renderRepair(output: Output, r: RepairReport): void {
  const b = r.before;
  output.line(
    `before     ${b.missing.count} missing, ${b.extra.count} extra, ${b.mismatched.count} mismatched`,
  );
  output.line(
    `repaired   ${r.ordersWritten} orders rewritten, ${r.ordersTombstoned} tombstoned, ${r.aggregatesWritten} aggregates recomputed (${r.alreadyInSync} already in sync, ${r.conflicts} write conflicts retried)`,
  );
  for (const e of r.examples) output.line(`  ${e.action.padEnd(9)} ${e.pk}`);
  if (r.gaveUp.count > 0)
    output.line(`still changing, not repaired: ${r.gaveUp.count} (${r.gaveUp.examples.join(', ')})`);
  if (r.skipped.count > 0)
    output.line(`left alone (not ours or unreadable in the source): ${r.skipped.count}`);
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
