import { Command } from 'commander';
import { action } from './action.js';
import { awsDeployOptions } from './awsDeploy.js';

interface DownOptions {
  purge?: boolean;
  yes?: boolean;
}

export function downCommand(): Command {
  return new Command('down')
    .description('stop what `up` started (local) or destroy the deployment (aws)')
    .option('--purge', 'also delete local data, checkpoints, logs, DLQ and the local key')
    .option('-y, --yes', 'aws: destroy without asking')
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
        const result = await localDown(ctx.stateDir, { purge: Boolean(opts.purge) });
        if (ctx.output.json) return ctx.output.jsonLine({ target: 'local', ...result });
        if (result.stopped.length === 0) ctx.output.info('Nothing was running.');
        for (const what of result.stopped) ctx.output.info(`Stopped ${what}`);
        if (result.purged) ctx.output.info(`Deleted ${ctx.stateDir}`);
      }),
    );
}
