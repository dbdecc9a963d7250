import { Command } from 'commander';
import { InterruptedError } from '../errors.js';
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
}

export function seedCommand(): Command {
  return new Command('seed')
    .description('write fake orders (faker) into the source table, then update and delete some')
    .option('--count <n>', 'new orders to insert', intOption('--count', 0), 100)
    .option('--updates <n>', 'seeded orders to update afterwards', intOption('--updates', 0), 0)
    .option('--deletes <n>', 'seeded orders to delete afterwards', intOption('--deletes', 0), 0)
    .option('--seed <n>', 'reproducible data (same seed, same orders)', intOption('--seed', 0, 2 ** 31 - 1))
    .option('--concurrency <n>', 'BatchWriteItem calls in flight', intOption('--concurrency', 1, 256), 16)
    .option('--rate <items/s>', 'limit the write rate', positiveNumberOption('--rate'))
    .addHelpText(
      'after',
      `
Examples:
  $ ddb-ingest seed --count 1000
  $ ddb-ingest seed --count 1000 --updates 200 --deletes 50 --seed 42
  $ ddb-ingest seed --count 100000 --rate 500 --json`,
    )
    .action(
      action<SeedCommandOptions>(async (ctx, opts) => {
        const { runSeed, validateSeedCounts } = await import('../seed/index.js');
        validateSeedCounts(opts.count, opts.updates, opts.deletes);
        const client = await ctx.target.clients.dynamodb({ maxAttempts: 1 });
        const meter = new ProgressMeter();
        let done = { phase: 'insert', count: 0 };
        ctx.onInterruptDescribe?.(
          () =>
            `seed had written ${formatCount(done.count)} items of its ${done.phase} phase; they stay in ${ctx.stack.source_table.name}`,
        );
        const spinner = await ctx.output.spinner(
          `Seeding ${opts.count} orders into ${ctx.stack.source_table.name}`,
        );
        try {
          const result = await runSeed({
            client,
            tableName: ctx.stack.source_table.name,
            hashKey: ctx.stack.source_table.hash_key,
            count: opts.count,
            updates: opts.updates,
            deletes: opts.deletes,
            seed: opts.seed,
            concurrency: opts.concurrency,
            rate: opts.rate,
            signal: ctx.signal,
            onProgress: (p) => {
              done = { phase: p.phase, count: p.done };
              spinner.update(meter.render(p.phase, p.done, p.total, Date.now()));
            },
          });
          if (ctx.signal.aborted) {
            spinner.stop();
            throw new InterruptedError(
              `seed stopped after ${result.inserted} inserted, ${result.updated} updated, ${result.deleted} deleted; ` +
                `what was written stays in ${ctx.stack.source_table.name}.`,
            );
          }
          spinner.succeed(
            `Seeded: ${result.inserted} inserted, ${result.updated} updated, ${result.deleted} deleted ` +
              `in ${(result.durationMs / 1000).toFixed(1)} s (${result.itemsPerSecond} items/s, ${result.retries} retries, seed ${result.seed})`,
          );
          if (ctx.output.json) ctx.output.jsonLine(result);
        } catch (err) {
          if (err instanceof InterruptedError) throw err;
          spinner.fail('Seeding failed');
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
