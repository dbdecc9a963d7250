import { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { Spinner } from '../output.js';
import type { DeploymentProgress } from '../targets/aws/canary/deployment.js';
import { action } from './action.js';
import { confirm } from './confirm.js';
import { intOption } from './options.js';

interface RollbackOptions {
  toVersion?: number;
  function?: string;
  yes?: boolean;
}

export function rollbackCommand(): Command {
  return new Command('rollback')
    .description(
      "aws: stop a function's running deployment (CodeDeploy rolls back), or move its live alias back to the previous version",
    )
    .option(
      '--function <name>',
      'whose live alias to roll back; required where the stack has several functions',
    )
    .option(
      '--to-version <n>',
      'the published version to go back to (default: the one before live)',
      intOption('--to-version', 1),
    )
    .option('-y, --yes', 'roll back without asking')
    .addHelpText(
      'after',
      `
Rollback works on one function: the stack's only one, or the one --function
names (the other functions keep the version they serve).

With a deployment running, rollback stops it and CodeDeploy moves all of
live's traffic back to the version it started from. With none running, it
moves live from its version back to the version it had before, through a new
CodeDeploy deployment (all at once). CodeDeploy's history records it: the next
\`up --target aws\` says which version it would deploy and asks (or takes --yes)
before shipping the rolled-back version again.

A stack without CodeDeploy (deployment.codedeploy false in the stack file, or
unset with a custom endpoint such as an emulator's --endpoint-url) has live
moved back at once, with a warning; the alias's description keeps the record.

Examples:
  $ ddb-ingest rollback --target aws
  $ ddb-ingest rollback --target aws --yes --json
  $ ddb-ingest rollback --target aws --to-version 7
  $ ddb-ingest rollback --target aws --function audit --yes`,
    )
    .action(
      action<RollbackOptions>(async (ctx, opts) => {
        const target = ctx.target;
        if (!target.rollback) {
          throw new UsageError(
            'rollback is for the aws target: the local pipeline runs the handler you have, with no versions.',
            'Run `ddb-ingest rollback --target aws`.',
          );
        }
        const release = await import('./awsRelease.js');
        let spinner: Spinner | undefined;
        let report: ((p: DeploymentProgress) => void) | undefined;
        try {
          const result = await target.rollback(
            {
              ...(opts.toVersion !== undefined ? { toVersion: String(opts.toVersion) } : {}),
              function: opts.function,
            },
            {
              signal: ctx.signal,
              // Started once the deployment is found: "No deployment found" comes without a failed spinner.
              onStart: async () => {
                spinner = await ctx.output.spinner('Looking for a deployment to roll back');
                report = release.progressReporter(ctx, spinner);
              },
              onProgress: (p) => report?.(p),
              confirm: async (plan) => {
                spinner?.stop();
                const question =
                  'stop' in plan
                    ? `Deployment ${plan.stop} of ${plan.function} is running. Stop it (CodeDeploy rolls live back)?`
                    : `Move ${plan.function}'s live from version ${plan.from} back to version ${plan.to}?`;
                return confirm(ctx.output, question, opts.yes, ctx.signal);
              },
            },
          );
          const done = (text: string) => spinner?.succeed(`${result.function}: ${text}`);
          if (result.result === 'declined') {
            done('Nothing rolled back');
          } else if (result.result === 'stopped') {
            done(`Stopped deployment ${result.deploymentId}; live serves version ${result.version}`);
          } else if (result.result === 'moved-back') {
            done(`live moved back from version ${result.from} to ${result.to}`);
            ctx.output.warn(
              'This stack has no CodeDeploy (deployment.codedeploy is false in the stack file, or unset with a custom endpoint): live was moved back at once with UpdateAlias.',
            );
          } else {
            done(
              `live moved back from version ${result.from} to ${result.to} (deployment ${result.deploymentId})`,
            );
          }
          if (ctx.output.json) {
            // As status does: the function is named where there is a choice (several, or --function).
            const named =
              opts.function !== undefined || Object.keys(ctx.stackFile.model.functions).length > 1;
            const { function: fn, ...rest } = result;
            ctx.output.jsonLine({ target: 'aws', ...(named ? { function: fn } : {}), ...rest });
          }
        } catch (err) {
          spinner?.fail('Rollback failed');
          throw err;
        }
      }),
    );
}
