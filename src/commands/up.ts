import path from 'node:path';
import { Command, Option } from 'commander';
import type { RunContext } from '../context.js';
import { InterruptedError, UsageError } from '../errors.js';
import type { TargetName } from '../targets/target.js';
import type { UpResult } from '../targets/types.js';
import { formatMs, plural } from '../util/words.js';
import { action } from './action.js';
import { deployHooks, renderPlan } from './deployHooks.js';
import { commandPrefix } from './invocation.js';
import { intOption } from './options.js';

/** `up --foreground`: the mapping runs in this process with a live one-line summary; Ctrl-C stops the stack. */
async function runInForeground(ctx: RunContext): Promise<void> {
  const run = ctx.target.runInForeground;
  if (!run) throw new UsageError('--foreground is for the local target.', 'Leave out --foreground.');
  const { style } = ctx.output;
  const live = ctx.output.interactive;
  ctx.output.info(style.dim('Pipeline running in the foreground; Ctrl-C stops it and the stack.'));
  let last = '';
  let totals = { records: 0, batches: 0 };
  const { stopped, failure } = await run({
    signal: ctx.signal,
    onNotice: (text) => ctx.output.info(text),
    onStatus: (s) => {
      totals = { records: s.recordsProcessed, batches: s.batchesInvoked };
      const line =
        `${s.state}  records ${s.recordsProcessed}  ${plural(s.batchesInvoked, 'batch', 'batches')} (${s.batchesFailed} failed)  ` +
        `discarded ${s.recordsDiscarded}  iterator age ${formatMs(s.iteratorAgeMs)}${s.caughtUp ? '  caught up' : ''}  ${s.lastProcessingResult}`;
      if (line === last) return;
      last = line;
      if (live) process.stderr.write(`\r\u001b[2K${line}`);
      else ctx.output.info(line);
    },
  });
  if (live) process.stderr.write('\n');
  const stoppedText = stopped.length ? `; stopped ${stopped.join(', ')}` : '';
  const summary = `the pipeline processed ${plural(totals.records, 'record')} in ${plural(totals.batches, 'batch', 'batches')}${stoppedText}`;
  if (ctx.signal.aborted) throw new InterruptedError(`${summary}.`);
  if (failure !== undefined) throw failure;
  ctx.output.info(`Stopped the local stack: ${summary}.`);
}

/** Options given on the command line that the running stack does not have. */
function ignoredOptions(ctx: RunContext, opts: UpOptions, result: UpResult): string[] {
  const given = (name: string) => ctx.invocation?.optionSource(name) === 'cli';
  const ignored: string[] = [];
  if (given('port') && result.port !== undefined && result.port !== opts.port)
    ignored.push(`--port ${opts.port} (it runs on port ${result.port})`);
  if (given('persist') && Boolean(opts.persist) !== result.persist)
    ignored.push(`--persist (it keeps its data in memory)`);
  return ignored;
}

/**
 * `up --watch`: rebuilds the handler whenever one of its sources changes, one
 * line per rebuild; a failed build prints esbuild's message and the previous
 * build keeps running. Ends with Ctrl-C.
 */
async function watchSources(ctx: RunContext): Promise<void> {
  const watch = ctx.target.watch;
  if (!watch)
    throw new UsageError('--watch is for the local target.', 'Deploy a change with `up --target aws`.');
  const { toCliError } = await import('../errorMessages.js');
  const { style } = ctx.output;
  const time = () => new Date().toTimeString().slice(0, 8);
  const names = (files: string[]) => files.map((f) => path.relative(ctx.stackFile.dir, f) || f).join(', ');
  // Over the live status line of --foreground, if there is one.
  const say = (text: string) => ctx.output.info(ctx.output.interactive ? `\r\u001b[2K${text}` : text);
  // With one function, "the handler"; with several, which one.
  const several = Object.keys(ctx.stackFile.model.functions).length > 1;
  const which = (fn: string) => (several ? fn : 'the handler');
  await watch({
    signal: ctx.signal,
    onRebuilt: ({ function: fn, ms, changed }) => {
      if (ctx.output.json)
        return ctx.output.jsonLine({ event: 'rebuilt', function: fn, ms: Math.round(ms), changed });
      say(
        `${style.dim(time())} rebuilt ${which(fn)} in ${Math.round(ms)} ms ${style.dim(`(${names(changed)})`)}`,
      );
    },
    onFailed: ({ function: fn, error, changed }) => {
      const message = toCliError(error)?.message ?? String(error);
      if (ctx.output.json)
        return ctx.output.jsonLine({ event: 'build-failed', function: fn, message, changed });
      say(
        `${style.dim(time())} ${style.red(`build of ${which(fn)} failed; its previous build keeps running`)}\n${message}`,
      );
    },
  });
}

/**
 * `up --target aws`: bundle, terraform init, plan (confirmed on a TTY or with
 * --yes), apply, then the new version goes live through CodeDeploy.
 */
async function upAws(ctx: RunContext, opts: UpOptions): Promise<void> {
  if (opts.watch) {
    throw new UsageError('--watch is for the local target.', 'Deploy a change with `up --target aws`.');
  }
  const release = await import('./awsRelease.js');
  const spinner = await ctx.output.spinner('Deploying to AWS');
  try {
    const outcome = await ctx.target.up(
      {
        port: opts.port,
        planOnly: Boolean(opts.planOnly),
        ...(opts.planFile ? { planFile: opts.planFile } : {}),
        preTrafficCheck: opts.preTrafficCheck !== false,
        release: {
          confirmRolledBack: release.confirmRolledBack(ctx, spinner, opts.yes),
          onProgress: release.progressReporter(ctx, spinner),
          onStart: (shift, id) => {
            spinner.update(
              `Deployment ${id}: ${shift.alias} ${shift.currentVersion} -> ${shift.targetVersion}`,
            );
            if (!ctx.output.interactive) {
              ctx.output.info(
                `Deployment ${id}: ${shift.alias} from version ${shift.currentVersion} to ${shift.targetVersion} (${ctx.stack.deployment.config})`,
              );
            }
          },
          onPreTraffic: (r) =>
            ctx.output.info(
              r.result === 'passed'
                ? `Pre-traffic check passed: version ${r.version} took ${r.records} applied records (${r.firstSequence}..${r.lastSequence}) without a failure.`
                : `Pre-traffic check skipped: ${r.reason === 'stream-empty' ? 'the stream holds no records yet' : 'no record in the stream is applied yet'}.`,
            ),
        },
      },
      deployHooks(ctx, spinner, opts.yes, 'Apply this plan?'),
    );
    if (outcome.kind !== 'deployment') throw new Error('a deployment target started a local stack');
    const { kind: _kind, ...result } = outcome;
    if (!result.applied && result.reason === 'plan-only') {
      spinner.stop();
      renderPlan(ctx, result.plan);
      ctx.output.info(`Plan saved to ${result.plan.planFile}; apply it with --plan-file.`);
    } else if (!result.applied) {
      spinner.succeed(result.reason === 'no-changes' ? 'Already up to date: no changes' : 'Nothing applied');
    } else {
      spinner.succeed('Deployed');
    }
    if (ctx.output.json)
      return ctx.output.jsonLine({ target: 'aws', ...result, plan: undefined, planSummary: result.plan });
    const o = result.outputs;
    type Release = NonNullable<typeof result.deployment>;
    const versionAfter = (d: Release | undefined, fallback: string) =>
      d?.result === 'succeeded' || d?.result === 'moved'
        ? d.to
        : d?.result === 'up-to-date'
          ? d.version
          : fallback;
    if (o?.function_name) {
      // Terraform's live_version is what the alias had when it was read; the deployment moved it since.
      ctx.output.line(
        `function    ${o.function_name} (live -> version ${versionAfter(result.deployment, o.live_version)})`,
      );
      ctx.output.line(`source      ${o.source_table_name}`);
      ctx.output.line(`sink        ${o.sink_table_name}`);
      ctx.output.line(`stream      ${o.stream_arn}`);
      ctx.output.line(`dlq         ${o.dlq_url}`);
      const { awsCliCommand } = await import('../aws/endpoints.js');
      const setup = awsCliCommand(o.pii_key_setup_command, 'ssm', ctx.aws.endpoints);
      ctx.output.info(ctx.output.style.dim(`PII key: set it once with: ${setup}`));
    }
    // The other functions of a version 2 stack, each with its mappings and queue.
    for (const [name, fn] of Object.entries(o?.functions ?? {})) {
      if (name === o?.function_name) continue;
      const d = result.functionDeployments?.[name];
      ctx.output.line(`function    ${name} (live -> version ${versionAfter(d, fn.function_version)})`);
      for (const m of Object.values(o?.mappings ?? {}).filter((m) => m.function === name)) {
        ctx.output.line(`  stream    ${m.table} ${m.stream_arn}`);
      }
      ctx.output.line(`  dlq       ${fn.dlq_url}`);
    }
    for (const [name, d] of Object.entries(result.functionDeployments ?? {})) {
      if (d.result === 'moved')
        ctx.output.info(`${name}: live moved from version ${d.from} to ${d.to} at once (no CodeDeploy).`);
      if (d.result === 'succeeded')
        ctx.output.info(
          `${name}: live moved from version ${d.from} to ${d.to} (deployment ${d.deploymentId}).`,
        );
    }
    if (result.deployment?.result === 'succeeded') {
      const d = result.deployment;
      ctx.output.info(`live moved from version ${d.from} to ${d.to} (deployment ${d.deploymentId}).`);
    } else if (result.deployment?.result === 'moved') {
      const d = result.deployment;
      ctx.output.warn(
        `live moved from version ${d.from} to ${d.to} at once: this stack has no CodeDeploy (deployment.codedeploy is false in the stack file, or unset with a custom endpoint), so no canary and no automatic rollback.`,
      );
    }
  } catch (err) {
    spinner.fail('Deployment failed');
    if (ctx.signal.aborted) {
      ctx.output.warn(
        'Stopped waiting. A CodeDeploy deployment that had started goes on (and still rolls back on an alarm); `ddb-ingest rollback --target aws` stops it.',
      );
    }
    throw err;
  }
}

interface UpOptions {
  port: number;
  persist?: boolean;
  foreground?: boolean;
  watch?: boolean;
  yes?: boolean;
  planOnly?: boolean;
  planFile?: string;
  /** false with --no-pre-traffic-check. */
  preTrafficCheck?: boolean;
}

export function upCommand(): Command {
  return new Command('up')
    .description(
      'start the stack: DynamoDB Local, tables, stream and the local pipeline (or deploy with --target aws)',
    )
    .option('--port <n>', 'DynamoDB Local port', intOption('--port', 1, 65535), 8000)
    .option('--persist', 'keep the data on disk across down/up (default: in memory)')
    .option('--foreground', 'stay attached and show a live summary until Ctrl-C')
    .option(
      '--watch',
      'local: rebuild each function when its sources change; its mappings run the new build from their next batch',
    )
    .option('-y, --yes', 'aws: apply without asking')
    .addOption(
      new Option('--plan-only', 'aws: build, plan and save the plan; apply nothing').conflicts('planFile'),
    )
    .option('--plan-file <file>', 'aws: apply this saved plan (from --plan-only) instead of planning')
    .option(
      '--no-pre-traffic-check',
      'aws: do not replay already-applied records into the new version before shifting traffic',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ ddb-ingest up                     in-memory stack on port 8000
  $ ddb-ingest up --persist --port 8010
  $ ddb-ingest up --json | jq -r .streamArn
  $ ddb-ingest up --watch             rebuild on every save until Ctrl-C (the stack keeps running)
  $ ddb-ingest up --foreground --watch
  $ ddb-ingest up --target aws                          plan, ask, apply
  $ ddb-ingest up --target aws --plan-only              plan to .ddb-ingest/terraform/plan.tfplan
  $ ddb-ingest up --target aws --plan-file plan.tfplan --yes   apply exactly that reviewed plan
  $ ddb-ingest up --target aws --no-pre-traffic-check   canary without the replay check

On the aws target a new function version goes live through CodeDeploy
(deployment.config in the stack file, a 10% canary for 5 minutes by default);
the Errors, Throttles and IteratorAge alarms on live roll it back, and the
exit code is 1 when it was rolled back. See docs/deployment.md.`,
    )
    .action(action<UpOptions>(async (ctx, opts) => UP_BY_TARGET[ctx.target.name](ctx, opts)));
}

/** What `up` shows differs by what it makes: a local stack, or a deployment. */
const UP_BY_TARGET: Record<TargetName, (ctx: RunContext, opts: UpOptions) => Promise<void>> = {
  local: upLocal,
  aws: upAws,
};

/** `up` on the local target: DynamoDB Local, tables, stream and the pipeline (background or --foreground). */
async function upLocal(ctx: RunContext, opts: UpOptions): Promise<void> {
  if (opts.planOnly || opts.planFile) {
    throw new UsageError(
      `${opts.planOnly ? '--plan-only' : '--plan-file'} is for the aws target.`,
      'Add --target aws; the local target has no plan.',
    );
  }
  const prefix = commandPrefix(ctx.flags);
  const spinner = await ctx.output.spinner('Starting the local stack');
  let result: UpResult;
  let undone = false;
  try {
    const outcome = await ctx.target.up(
      { port: opts.port, persist: Boolean(opts.persist), foreground: Boolean(opts.foreground) },
      {
        onStep: (m) => spinner.update(m),
        onNotice: (m) => ctx.output.info(m),
        onCleanup: (stopped) => {
          undone = true;
          ctx.output.info(`Stopped what this up had started: ${stopped.join(', ')}.`);
        },
        signal: ctx.signal,
      },
    );
    if (outcome.kind !== 'local-stack') throw new Error('the local target made a deployment');
    const { kind: _kind, ...started } = outcome;
    result = started;
  } catch (err) {
    if (ctx.signal.aborted) {
      spinner.stop();
      throw new InterruptedError(
        undone
          ? 'up stopped; everything it had started is stopped again.'
          : 'up stopped before it started anything.',
      );
    }
    spinner.fail('Could not start the local stack');
    throw err;
  }
  spinner.succeed(result.alreadyRunning ? 'Local stack already up' : 'Local stack up');
  const ignored = result.alreadyRunning ? ignoredOptions(ctx, opts, result) : [];
  if (ignored.length > 0) {
    ctx.output.warn(
      `the stack was already up, so ${ignored.join(' and ')} ${ignored.length === 1 ? 'was' : 'were'} not applied. ` +
        `To change ${ignored.length === 1 ? 'it' : 'them'}: ${prefix} down, then ${prefix} up with the options you want.`,
    );
  }
  if (ctx.output.json) {
    ctx.output.jsonLine(result);
  } else {
    ctx.output.line(`endpoint    ${result.endpoint}  (${result.persist ? 'persistent' : 'in memory'})`);
    const streams = Object.entries(result.streams ?? {});
    if (streams.length > 1 || !ctx.stackFile.model.pipeline) {
      // Several streams (stack file version 2): each table with a stream, then the others.
      for (const [table, arn] of streams)
        ctx.output.line(`stream      ${table}  ${ctx.output.style.dim(arn)}`);
      const others = Object.keys(ctx.stackFile.model.tables).filter((t) => !(t in (result.streams ?? {})));
      if (others.length > 0) ctx.output.line(`tables      ${others.join(', ')}`);
      ctx.output.line(`functions   ${Object.keys(ctx.stackFile.model.functions).join(', ')}`);
    } else {
      ctx.output.line(`source      ${result.tables.source}`);
      ctx.output.line(`sink        ${result.tables.sink}`);
      ctx.output.line(`stream      ${result.streamArn}`);
    }
  }
  if (opts.foreground) {
    await Promise.all([runInForeground(ctx), opts.watch ? watchSources(ctx) : undefined]);
    return;
  }
  if (opts.watch) {
    if (!ctx.output.json) {
      ctx.output.info(
        ctx.output.style.dim(
          `Watching the handler sources; Ctrl-C stops watching, the stack keeps running (${prefix} down stops it).`,
        ),
      );
    }
    return await watchSources(ctx);
  }
  if (!ctx.output.json)
    ctx.output.info(ctx.output.style.dim(`next: ${nextSteps(ctx.stackFile.model, prefix)}`));
}

/** What to run after `up`: the orders seed where the stack has the built-in pipeline, else a template seed. */
function nextSteps(model: RunContext['stackFile']['model'], prefix: string): string {
  if (model.pipeline) return `${prefix} seed --count 1000, ${prefix} status, ${prefix} tail, ${prefix} down`;
  const streams = Object.values(model.tables).filter((t) => t.stream_view_type !== undefined);
  const first = streams[0]?.name ?? Object.keys(model.tables)[0] ?? '<table>';
  const tail = streams.length > 1 ? `tail --table ${first}` : 'tail';
  return `${prefix} seed --table ${first} --template <file.json>, ${prefix} status, ${prefix} ${tail}, ${prefix} down`;
}
