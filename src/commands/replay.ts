import { Command, Option } from 'commander';
import type { RunContext } from '../context.js';
import { RuntimeError, UsageError } from '../errors.js';
import type { Output, Spinner } from '../output.js';
import type { Redrive, RedriveNotice, RedriveResult } from '../replay/dlq.js';
import type { Invoker } from '../replay/invoke.js';
import type { BatchReport, PlannedBatch } from '../replay/runner.js';
import type { WireRecord } from '../streams/wire.js';
import { plural } from '../util/words.js';
import { action } from './action.js';

interface ReplayCommandOptions {
  function?: string;
  table?: string;
  fromStream?: boolean;
  since?: string;
  fromDlq?: boolean;
  delete?: boolean;
  invoke: 'local' | 'remote';
  batchSize?: string;
  dryRun?: boolean;
}

/** The flags, checked before anything is read or sent. */
function checkSources(file: string | undefined, opts: ReplayCommandOptions): void {
  const sources = [file !== undefined, Boolean(opts.fromStream), Boolean(opts.fromDlq)].filter(
    Boolean,
  ).length;
  if (sources !== 1) {
    throw new UsageError(
      sources === 0 ? 'replay needs a source.' : 'replay takes one source at a time.',
      'Give a file (`replay changes.ndjson`), or --from-stream, or --from-dlq.',
    );
  }
  if (opts.since !== undefined && !opts.fromStream) {
    throw new UsageError('--since goes with --from-stream.', 'Use `replay --from-stream --since 10m`.');
  }
  if (opts.delete && !opts.fromDlq) {
    throw new UsageError('--delete goes with --from-dlq.', 'Use `replay --from-dlq --delete`.');
  }
  if (opts.delete && opts.dryRun) {
    throw new UsageError('--delete cannot be used with --dry-run: a dry run changes nothing.');
  }
}

export function replayCommand(): Command {
  return new Command('replay')
    .description('feed stream records to the handler in Lambda-shaped batches')
    .argument(
      '[file]',
      'NDJSON records (from `tail --output` or `tail --json`) or a Lambda event {"Records": [...]}',
    )
    .option('--from-stream', "replay what the source table's stream holds (24 hours on AWS)")
    .option('--since <time>', 'with --from-stream: records from this time on (5m, 2h30m, ISO time)')
    .option('--from-dlq', 'replay the batches named by the on-failure messages, read back from the stream')
    .option('--delete', 'with --from-dlq: delete each message once its records replayed without failures')
    .addOption(
      new Option(
        '--invoke <where>',
        'local: the handler bundle in the local runtime; remote: the deployed function (alias live)',
      )
        .choices(['local', 'remote'])
        .default('local'),
    )
    .option(
      '--batch-size <n>',
      "records per invocation (default: the batch_size of the function's mapping, of --table's where it has several)",
    )
    .option('--dry-run', 'show the batches that would be sent; send nothing')
    .option(
      '--function <name>',
      'the function to replay to (its queue with --from-dlq); required where the stack has several',
    )
    .option(
      '--table <name>',
      "the function's mapping on this table: the stream --from-stream reads, and the default --batch-size; required where the choice matters",
    )
    .addHelpText(
      'after',
      `
Batches go one after another; each prints its records, the result and the
batchItemFailures the handler reported. The exit code is 1 when a batch failed
or reported failed records. The handler is idempotent: replaying records it
already applied leaves the sink unchanged.

Examples:
  $ ddb-ingest tail --from trim-horizon --no-follow --output changes.ndjson
  $ ddb-ingest replay changes.ndjson --dry-run
  $ ddb-ingest replay changes.ndjson --batch-size 10
  $ ddb-ingest replay --from-stream --since 15m --json | jq .outcome.batchItemFailures
  $ ddb-ingest replay --from-dlq --delete
  $ ddb-ingest --target aws replay --from-dlq --invoke remote
  $ ddb-ingest replay --from-dlq --function audit`,
    )
    .action(
      action<ReplayCommandOptions>(async (ctx, opts, args) => {
        const file = args[0];
        checkSources(file, opts);
        const [
          { readReplayFile },
          { parseBatchSize },
          { parseTimeSpec },
          { planBatches, runReplay },
          { mappingBatchSize, selectFunction },
        ] = await Promise.all([
          import('../replay/source.js'),
          import('./values.js'),
          import('./timeSpec.js'),
          import('../replay/runner.js'),
          import('../config/select.js'),
        ]);
        const choice = {
          ...(opts.function !== undefined ? { function: opts.function } : {}),
          ...(opts.table !== undefined ? { table: opts.table } : {}),
        };
        // Batches as the function's own mapping cuts them, unless --batch-size says otherwise.
        const batchSize = parseBatchSize(opts.batchSize ?? mappingBatchSize(ctx.stackFile.model, choice));
        const since = opts.since !== undefined ? parseTimeSpec(opts.since, Date.now(), '--since') : undefined;

        let batches: PlannedBatch[];
        let redrive: Redrive | undefined;
        if (file !== undefined) {
          batches = planBatches(await readReplayFile(file), batchSize);
        } else if (opts.fromStream) {
          batches = planBatches(await readFromStream(ctx, since, opts), batchSize);
        } else {
          redrive = await readFromDlq(ctx, batchSize, opts.function);
          batches = redrive.batches;
        }

        let failedOrigins: ReadonlySet<string> = new Set();
        let replayed = false;
        try {
          if (batches.length === 0) {
            const gone = redrive?.read.filter((r) => r.status === 'gone').length ?? 0;
            if (gone > 0) {
              throw new RuntimeError(
                `None of the ${plural(gone, 'on-failure message')} can be re-driven: their records are no longer in the stream.`,
                'Streams keep records for 24 hours. Rebuild what they touched from the source with `ddb-ingest verify --repair`.',
              );
            }
            ctx.output.info('Nothing to replay.');
            return;
          }
          const invoker = opts.dryRun ? undefined : await startInvoker(ctx, opts.invoke, opts.function);
          const where =
            opts.invoke === 'remote'
              ? `${selectFunction(ctx.stackFile.model, opts.function).name}:live`
              : 'the local runtime';
          if (!opts.dryRun) ctx.output.info(ctx.output.style.dim(`Replaying into ${where}`));
          let summary: Awaited<ReturnType<typeof runReplay>>;
          try {
            summary = await runReplay({
              batches,
              ...(invoker ? { invoker } : {}),
              signal: ctx.signal,
              onBatch: (report) => renderBatch(ctx.output, report),
            });
          } finally {
            await invoker?.close();
          }
          failedOrigins = summary.failedOrigins;
          // An interrupted re-drive deletes nothing: some messages were never sent.
          replayed = !opts.dryRun && !ctx.signal.aborted;
          if (opts.dryRun) {
            ctx.output.info(
              `Dry run: ${plural(summary.records, 'record')} in ${plural(summary.batches, 'batch', 'batches')} would be sent to ${where}; nothing was sent.`,
            );
            return;
          }
          ctx.output.info(
            `Replayed ${plural(summary.records, 'record')} in ${plural(summary.batches, 'batch', 'batches')}: ` +
              `${plural(summary.failedBatches, 'failed batch', 'failed batches')}, ${plural(summary.failedRecords, 'failed record')}.`,
          );
          if (summary.failedBatches > 0 || summary.failedRecords > 0) {
            throw new RuntimeError(
              'Some records failed in the handler.',
              'See the batches above and `ddb-ingest logs --level ERROR`.',
            );
          }
        } finally {
          if (redrive) {
            const { finishRedrive } = await import('../replay/dlq.js');
            const result = await finishRedrive(redrive, {
              failedOrigins,
              delete: Boolean(opts.delete),
              replayed,
            });
            if (!opts.dryRun) reportRedrive(ctx.output, result);
          }
        }
      }),
    );
}

async function readFromStream(
  ctx: RunContext,
  since: number | undefined,
  choice: { function?: string; table?: string },
): Promise<WireRecord[]> {
  const { recordsFromStream } = await import('../replay/fromStream.js');
  const streamArn = await ctx.target.streamArn({
    function: choice.function,
    table: choice.table,
  });
  const client = await ctx.target.clients.streams();
  const spinner = await ctx.output.spinner(`Reading ${streamArn}`);
  try {
    const records = await recordsFromStream({
      client,
      streamArn,
      since,
      signal: ctx.signal,
    });
    spinner.succeed(`Read ${plural(records.length, 'record')} from the stream`);
    return records;
  } catch (err) {
    spinner.fail('Reading the stream failed');
    throw err;
  } finally {
    client.destroy();
  }
}

async function readFromDlq(ctx: RunContext, batchSize: number, fn: string | undefined): Promise<Redrive> {
  const { prepareRedrive } = await import('../replay/dlq.js');
  // The queue stays open: the re-drive deletes or releases its messages after the replay.
  const { queue } = await ctx.target.onFailureQueue({
    signal: ctx.signal,
    ...(fn !== undefined ? { function: fn } : {}),
  });
  const client = await ctx.target.clients.streams();
  try {
    const redrive = await prepareRedrive({
      queue,
      client,
      batchSize,
      signal: ctx.signal,
      onNotice: (notice) => ctx.output.warn(noticeText(notice)),
    });
    if (redrive.read.length === 0) {
      ctx.output.info(`The on-failure queue (${queue.location}) has no messages to re-drive.`);
    }
    return redrive;
  } finally {
    client.destroy();
  }
}

function noticeText(notice: RedriveNotice): string {
  if (notice.type === 'unreadable') return `DLQ message ${notice.id} skipped: ${notice.problem}.`;
  const { entry, expected, records, reason } = notice.result;
  const info = entry.message.DDBStreamBatchInfo;
  const range = `${info.shardId} ${info.startSequenceNumber}..${info.endSequenceNumber}`;
  if (notice.type === 'gone') {
    return `DLQ message ${entry.id} (${range}, ${expected} records): ${reason}. It cannot be replayed and stays on the queue.`;
  }
  return `DLQ message ${entry.id} (${range}): only ${records.length} of ${expected} records are still in the stream (the rest are past retention); replaying those.`;
}

function reportRedrive(output: Output, result: RedriveResult): void {
  if (result.deleted.length > 0) {
    output.info(
      `Deleted ${plural(result.deleted.length, 'DLQ message')}${result.kept.length > 0 ? `; ${result.kept.length} kept (failed, incomplete or past retention)` : ''}.`,
    );
  } else if (result.kept.length > 0) {
    output.info(
      `${plural(result.kept.length, 'DLQ message')} kept on the queue (failed, incomplete or past retention).`,
    );
  }
  if (result.replayed.length > 0) {
    output.info(
      `${plural(result.replayed.length, 'DLQ message')} re-driven without failures ${result.replayed.length === 1 ? 'stays' : 'stay'} on the queue; add --delete to remove them.`,
    );
  }
}

async function startInvoker(
  ctx: RunContext,
  kind: 'local' | 'remote',
  fn: string | undefined,
): Promise<Invoker> {
  // The only step an invoker reports is checking (and rebuilding) the local handler build:
  // a replay always runs the current sources, so the fix the user just made is what gets re-driven.
  let checking: Promise<Spinner> | undefined;
  try {
    return await ctx.target.invoker(
      kind,
      {
        signal: ctx.signal,
        onStep: (text) => {
          checking = ctx.output.spinner(text);
        },
        onBuild: async ({ rebuilt, buildMs }) => {
          const spinner = await checking;
          if (rebuilt)
            spinner?.succeed(`Rebuilt the handler from its changed sources (${Math.round(buildMs)} ms)`);
          else spinner?.stop();
        },
      },
      fn !== undefined ? { function: fn } : {},
    );
  } catch (err) {
    (await checking)?.fail('Could not build the handler');
    throw err;
  }
}

const MAX_RESULT_CHARS = 400;

/** One batch as `replay` prints it (one JSON line with --json). */
export function renderBatch(output: Output, report: BatchReport): void {
  if (output.json) {
    output.jsonLine(report);
    return;
  }
  const { style } = output;
  const head =
    `${style.bold(`batch ${report.batch}/${report.batches}`)}  ${plural(report.records, 'record')}  ` +
    style.dim(`${report.firstSequenceNumber}..${report.lastSequenceNumber}`) +
    (report.origin ? style.dim(`  from ${report.origin}`) : '');
  const outcome = report.outcome;
  if (!outcome) {
    output.line(`${head}  ${style.cyan('dry run: not sent')}`);
    for (const record of report.event?.Records ?? []) {
      const d = record.dynamodb;
      const key = Object.entries(d.Keys)
        .map(([k, v]) => `${k}=${'S' in v ? v.S : JSON.stringify(v)}`)
        .join(', ');
      output.line(`  ${style.dim(d.SequenceNumber)}  ${record.eventName.padEnd(6)}  ${key}`);
    }
    return;
  }
  const failures = outcome.batchItemFailures;
  const status = !outcome.ok
    ? style.red(
        `FunctionError: ${outcome.functionError}${outcome.errorType ? ` (${outcome.errorType})` : ''}`,
      )
    : failures.length > 0
      ? style.yellow(`${plural(failures.length, 'failed record')}`)
      : style.green('ok');
  output.line(`${head}  ${status}`);
  if (!outcome.ok && outcome.errorMessage) output.line(`  ${style.red(outcome.errorMessage)}`);
  if (outcome.invalidResponse) output.line(`  ${style.yellow(outcome.invalidResponse)}`);
  output.line(`  batchItemFailures: ${failures.length === 0 ? '[]' : failures.join(', ')}`);
  if (outcome.result !== undefined) {
    const text = JSON.stringify(outcome.result);
    output.line(
      `  ${style.dim('result:')} ${text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS - 1)}…` : text}`,
    );
  }
  if (outcome.logTail) {
    output.line(`  ${style.dim('log tail:')}`);
    for (const line of outcome.logTail.replace(/\n$/, '').split('\n')) output.line(`    ${style.dim(line)}`);
  }
}
