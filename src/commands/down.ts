import { Command } from 'commander';
import type { Spinner } from '../output.js';
import type { DownOutcome } from '../targets/target.js';
import { plural } from '../util/words.js';
import { action } from './action.js';
import { confirm } from './confirm.js';
import { deployHooks } from './deployHooks.js';

interface DownOptions {
  purge?: boolean;
  yes?: boolean;
}

export function downCommand(): Command {
  return new Command('down')
    .description('stop what `up` started (local) or destroy the deployment (aws)')
    .option(
      '--purge',
      'also delete what ddb-ingest created in the state dir: data, checkpoints, logs, DLQ, the local key (asks on a TTY)',
    )
    .option('-y, --yes', 'do not ask (aws: destroy; local: --purge)')
    .addHelpText('after', '\nExamples:\n  $ ddb-ingest down\n  $ ddb-ingest down --purge')
    .action(
      action<DownOptions>(async (ctx, opts) => {
        // The spinner starts with the first step: the aws target's Terraform reports steps, a local stop has none.
        let spinner: Spinner | undefined;
        const spin = async (text: string): Promise<Spinner> => {
          spinner ??= await ctx.output.spinner(text);
          return spinner;
        };
        const lazySpinner: Spinner = {
          update: (text) => void spin(text).then((s) => s.update(text)),
          succeed: (text) => spinner?.succeed(text),
          fail: (text) => spinner?.fail(text),
          stop: () => spinner?.stop(),
        };
        const purgeAsks = opts.purge && !opts.yes && process.stdin.isTTY && process.stderr.isTTY;
        let outcome: DownOutcome;
        try {
          outcome = await ctx.target.down(
            { purge: Boolean(opts.purge) },
            {
              ...deployHooks(ctx, lazySpinner, opts.yes, 'Destroy these resources, data included?'),
              onNotice: (text) => ctx.output.info(text),
              ...(purgeAsks
                ? {
                    confirmPurge: () =>
                      confirm(
                        ctx.output,
                        `Delete the data, checkpoints, logs, on-failure queue and key that ddb-ingest created in ${ctx.stateDir}?`,
                        false,
                        ctx.signal,
                      ),
                  }
                : {}),
            },
          );
        } catch (err) {
          lazySpinner.fail('Destroy failed');
          throw err;
        }
        if (outcome.kind === 'deployment') {
          lazySpinner.succeed(outcome.destroyed ? 'Destroyed' : 'Nothing destroyed');
          if (ctx.output.json) ctx.output.jsonLine({ target: 'aws', destroyed: outcome.destroyed });
          return;
        }
        const { kind: _localStack, ...result } = outcome;
        if (ctx.output.json) return ctx.output.jsonLine({ target: 'local', ...result });
        if (result.stopped.length === 0) ctx.output.info('Nothing was running.');
        for (const what of result.stopped) ctx.output.info(`Stopped ${what}`);
        const purge = result.purge;
        if (purge) {
          ctx.output.info(
            purge.removed.length
              ? `Deleted ${purge.removed.join(', ')} from ${ctx.stateDir}${purge.removedDir ? ' (and the directory)' : ''}`
              : `Nothing of ddb-ingest's was left in ${ctx.stateDir}`,
          );
          if (purge.kept.length)
            ctx.output.info(
              `Kept ${plural(purge.kept.length, 'entry', 'entries')} ddb-ingest did not create: ${purge.kept.join(', ')}`,
            );
        }
      }),
    );
}
