import { Command } from 'commander';
import { plural } from '../util/words.js';
import { action } from './action.js';
import { intOption } from './options.js';

interface DemoCommandOptions {
  port: number;
  count: number;
  updates: number;
  deletes: number;
  seed?: number;
  probes: number;
  timeout: number;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'the whole local pipeline in one go: up, seed, watch it ingest, verify, summary (what `npm start` runs)',
    )
    .option('--port <n>', 'DynamoDB Local port', intOption('--port', 1, 65535), 8000)
    .option('--count <n>', 'orders to insert', intOption('--count', 1), 1000)
    .option('--updates <n>', 'orders to update afterwards', intOption('--updates', 0), 200)
    .option('--deletes <n>', 'orders to delete afterwards', intOption('--deletes', 0), 100)
    .option('--seed <n>', 'reproducible data', intOption('--seed', 0, 2 ** 31 - 1))
    .option(
      '--probes <n>',
      'single orders timed from source write to sink write',
      intOption('--probes', 0, 1000),
      20,
    )
    .option(
      '--timeout <s>',
      'give up waiting for the pipeline after this many seconds',
      intOption('--timeout', 1),
      600,
    )
    .addHelpText(
      'after',
      `
The stack stays up afterwards: look around with status, tail, logs, verify, then down.

Examples:
  $ npm start
  $ ddb-ingest demo --count 5000 --updates 1000 --deletes 500 --port 8010
  $ ddb-ingest demo --json | jq .latencyMs`,
    )
    .action(
      action<DemoCommandOptions>(async (ctx, opts) => {
        const { requirePipeline } = await import('../config/select.js');
        requirePipeline(ctx.stackFile.model, { command: 'demo' });
        const { runDemo } = await import('../demo/run.js');
        const { validateSeedCounts } = await import('../seed/index.js');
        validateSeedCounts(opts.count, opts.updates, opts.deletes);
        const spinner = await ctx.output.spinner('Starting the local stack');
        let summary: Awaited<ReturnType<typeof runDemo>>;
        try {
          summary = await runDemo({
            stack: ctx.stack,
            stackDir: ctx.stackFile.dir,
            stateDir: ctx.stateDir,
            configFile: ctx.stackFile.exists ? ctx.stackFile.file : undefined,
            port: opts.port,
            endpoint: ctx.flags.endpointUrl,
            count: opts.count,
            updates: opts.updates,
            deletes: opts.deletes,
            seed: opts.seed,
            probes: opts.probes,
            timeoutMs: opts.timeout * 1000,
            signal: ctx.signal,
            onProgress: (text) => spinner.update(text),
          });
          spinner.succeed(
            summary.verify.ok ? 'The sink converged with the source' : 'The sink did NOT converge',
          );
        } catch (err) {
          spinner.fail('The demo stopped');
          throw err;
        }
        if (ctx.output.json) {
          ctx.output.jsonLine(summary);
        } else {
          const { style } = ctx.output;
          const s = summary;
          const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);
          ctx.output.line(`stack        ${s.up.endpoint}  stream ${s.up.streamArn}`);
          ctx.output.line(
            `seeded       ${s.seed.inserted} inserted, ${s.seed.updated} updated, ${s.seed.deleted} deleted (seed ${s.seed.seed}, ${s.seed.itemsPerSecond} items/s)`,
          );
          ctx.output.line(
            `pipeline     ${plural(s.records, 'record')} in ${plural(s.batches, 'batch', 'batches')}, ${s.batchesFailed} failed, ${s.discarded} discarded; drained ${(s.ingestMs / 1000).toFixed(1)} s after the seed began`,
          );
          ctx.output.line(
            `latency      p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)}, max ${ms(s.latencyMs.max)} (${s.latencyMs.samples} probes, source write -> sink write)`,
          );
          ctx.output.line(
            `verify       ${s.verify.ok ? style.green('ok') : style.red('NOT converged')}: ${s.verify.orders.matched}/${s.verify.orders.source} orders, ${s.verify.customers.matched}/${s.verify.customers.expected} customers`,
          );
          ctx.output.line(`wall time    ${(s.wallMs / 1000).toFixed(1)} s`);
          ctx.output.info(
            style.dim(
              'The stack is still up. Try: ddb-ingest status | ddb-ingest tail --from trim-horizon --no-follow | ddb-ingest logs | ddb-ingest down',
            ),
          );
        }
        if (!summary.verify.ok) {
          const { RuntimeError } = await import('../errors.js');
          throw new RuntimeError(
            'The sink did not converge with the source.',
            'Run `ddb-ingest verify` for details.',
          );
        }
      }),
    );
}
