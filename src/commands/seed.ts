import { Command } from 'commander';
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
        const [{ runSeed, validateSeedCounts }, { createDynamoDbClient }, { sourceConnection }] =
          await Promise.all([
            import('../seed/index.js'),
            import('../aws/clients.js'),
            import('../targets/connection.js'),
          ]);
        validateSeedCounts(opts.count, opts.updates, opts.deletes);
        const conn = await sourceConnection(ctx);
        const client = await createDynamoDbClient({ ...conn, maxAttempts: 1 });
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
            onProgress: (p) =>
              spinner.update(`${p.phase.padEnd(6)} ${progressBar(p.done, p.total)} ${p.done}/${p.total}`),
          });
          spinner.succeed(
            `Seeded: ${result.inserted} inserted, ${result.updated} updated, ${result.deleted} deleted ` +
              `in ${(result.durationMs / 1000).toFixed(1)} s (${result.itemsPerSecond} items/s, ${result.retries} retries, seed ${result.seed})`,
          );
          if (ctx.output.json) ctx.output.jsonLine(result);
        } catch (err) {
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
