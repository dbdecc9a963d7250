import { Command } from 'commander';
import { InterruptedError, UsageError } from '../errors.js';
import { formatCount } from '../util/words.js';
import { action } from './action.js';
import { intOption, positiveNumberOption } from './options.js';

interface SeedCommandOptions {
  count: number;
  updates: number;
  deletes: number;
  seed?: number;
  concurrency: number;
  rate?: number;
  table?: string;
  template?: string;
}

export function seedCommand(): Command {
  return new Command('seed')
    .description(
      'write fake orders (faker) into the source table, or items from a template into any table, then update and delete some',
    )
    .option('--count <n>', 'new items to insert', intOption('--count', 0), 100)
    .option('--updates <n>', 'seeded items to update afterwards', intOption('--updates', 0), 0)
    .option('--deletes <n>', 'seeded items to delete afterwards', intOption('--deletes', 0), 0)
    .option('--seed <n>', 'reproducible data (same seed, same items)', intOption('--seed', 0, 2 ** 31 - 1))
    .option('--table <name>', 'the table to fill from --template (any existing table)')
    .option('--template <file>', 'a JSON item template of faker expressions (docs/seeding.md)')
    .option('--concurrency <n>', 'BatchWriteItem calls in flight', intOption('--concurrency', 1, 256), 16)
    .option('--rate <items/s>', 'limit the write rate', positiveNumberOption('--rate'))
    .addHelpText(
      'after',
      `
Examples:
  $ ddb-ingest seed --count 1000
  $ ddb-ingest seed --count 1000 --updates 200 --deletes 50 --seed 42
  $ ddb-ingest seed --count 100000 --rate 500 --json
  $ ddb-ingest seed --table users --template users.json --count 5000 --updates 500 --seed 7

A template is a JSON object of attributes; {{module.method}} strings are
faker expressions (faker's helpers.fake), e.g.
  {"userId": "{{string.uuid}}", "name": "{{person.fullName}}",
   "age": "{{number.int({\\"min\\":18,\\"max\\":90})}}", "tags": ["{{word.noun}}"]}
A value that is exactly one number-producing expression is stored as a number.`,
    )
    .action(
      action<SeedCommandOptions>(async (ctx, opts) => {
        if ((opts.table === undefined) !== (opts.template === undefined)) {
          throw new UsageError(
            opts.table === undefined ? '--template needs --table.' : '--table needs --template.',
            'Seed any table from a template with `ddb-ingest seed --table <name> --template <file.json>`; without both, seed writes the built-in orders into the source table.',
          );
        }
        // The orders go into the built-in pipeline's source: a stack without one refuses before any write.
        const { requirePipeline } = await import('../config/select.js');
        const tableName = opts.table ?? requirePipeline(ctx.stackFile.model, { command: 'seed' }).sourceTable;
        const { runSeed, validateSeedCounts } = await import('../seed/index.js');
        // The template file and table are read first; the generator checks the template before any write.
        validateSeedCounts(opts.count, opts.updates, opts.deletes);
        const client = await ctx.target.clients.dynamodb({ maxAttempts: 1 });
        const meter = new ProgressMeter();
        let done = { phase: 'insert', count: 0 };
        ctx.onInterruptDescribe?.(
          () =>
            `seed had written ${formatCount(done.count)} items of its ${done.phase} phase; they stay in ${tableName}`,
        );
        let spinner: Awaited<ReturnType<typeof ctx.output.spinner>> | undefined;
        try {
          const { loadTemplate } = await import('../seed/loadTemplate.js');
          const template =
            opts.template === undefined ? undefined : await loadTemplate(client, tableName, opts.template);
          spinner = await ctx.output.spinner(
            template
              ? `Seeding ${opts.count} items from ${opts.template} into ${tableName}`
              : `Seeding ${opts.count} orders into ${tableName}`,
          );
          const progress = spinner;
          const result = await runSeed({
            client,
            tableName,
            hashKey: ctx.stack.source_table.hash_key,
            template,
            count: opts.count,
            updates: opts.updates,
            deletes: opts.deletes,
            seed: opts.seed,
            concurrency: opts.concurrency,
            rate: opts.rate,
            signal: ctx.signal,
            onProgress: (p) => {
              done = { phase: p.phase, count: p.done };
              progress.update(meter.render(p.phase, p.done, p.total, Date.now()));
            },
          });
          if (ctx.signal.aborted) {
            spinner.stop();
            const cut = result.unconfirmed
              ? ` (${formatCount(result.unconfirmed)} more were in flight: each is in the table whole or not at all)`
              : '';
            throw new InterruptedError(
              `seed stopped after ${result.inserted} inserted, ${result.updated} updated, ${result.deleted} deleted${cut}; ` +
                `what was written stays in ${tableName}.`,
            );
          }
          spinner.succeed(
            `Seeded: ${result.inserted} inserted, ${result.updated} updated, ${result.deleted} deleted ` +
              `in ${(result.durationMs / 1000).toFixed(1)} s (${result.itemsPerSecond} items/s, ${result.retries} retries, seed ${result.seed})`,
          );
          if (ctx.output.json) ctx.output.jsonLine(result);
        } catch (err) {
          if (err instanceof InterruptedError) throw err;
          spinner?.fail('Seeding failed');
          throw err;
        } finally {
          client.destroy();
        }
      }),
    );
}

/** `[#########-----------]  45%`: the seed's progress on a TTY. */
export function progressBar(done: number, total: number, width = 24): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`;
}

/**
 * The seed's progress line with the rate and time left of the phase under
 * way: `insert [#####---]  45% 90000/200000  5230 items/s  ETA 21 s`.
 */
export class ProgressMeter {
  private phase = '';
  private startedAt = 0;

  render(phase: string, done: number, total: number, now: number): string {
    if (phase !== this.phase) {
      this.phase = phase;
      this.startedAt = now;
    }
    const seconds = (now - this.startedAt) / 1000;
    const rate = seconds > 0.5 ? done / seconds : 0;
    const eta = rate > 0 && total > done ? `  ETA ${formatSeconds((total - done) / rate)}` : '';
    const speed = rate > 0 ? `  ${formatCount(Math.round(rate))} items/s` : '';
    return `${phase.padEnd(6)} ${progressBar(done, total)} ${formatCount(done)}/${formatCount(total)}${speed}${eta}`;
  }
}

/** `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
