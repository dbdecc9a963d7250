import { Command } from 'commander';
import { plural } from '../util/words.js';
import { action } from './action.js';
import { awsDeployOptions } from './awsDeploy.js';
import { confirm } from './confirm.js';

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
        if (ctx.target === 'aws') {
          const { awsDown } = await import('../targets/aws/deploy.js');
          const spinner = await ctx.output.spinner('Destroying the AWS deployment');
          try {
            const result = await awsDown(
              awsDeployOptions(ctx, spinner, opts.yes, 'Destroy these resources, data included?'),
            );
            spinner.succeed(result.destroyed ? 'Destroyed' : 'Nothing destroyed');
            if (ctx.output.json) ctx.output.jsonLine({ target: 'aws', destroyed: result.destroyed });
            return;
          } catch (err) {
            spinner.fail('Destroy failed');
            throw err;
          }
        }
        const { localDown } = await import('../targets/local/stack.js');
        if (opts.purge && !opts.yes && process.stdin.isTTY && process.stderr.isTTY) {
          const question = `Delete the data, checkpoints, logs, on-failure queue and key that ddb-ingest created in ${ctx.stateDir}?`;
          if (!(await confirm(ctx.output, question, false, ctx.signal))) {
            ctx.output.info('Nothing deleted; stopping the stack only.');
            opts.purge = false;
          }
        }
        const result = await localDown(ctx.stateDir, { purge: Boolean(opts.purge), signal: ctx.signal });
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
