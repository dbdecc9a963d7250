import type { RunContext } from '../context.js';
import type { Spinner } from '../output.js';
import type { PlanResult } from '../targets/aws/terraform.js';
import type { TargetHooks } from '../targets/target.js';
import { confirm } from './confirm.js';

/**
 * Terraform's per-resource progress (`aws_sqs_queue.x: Creation complete after
 * 26s`): what a CI log needs off a TTY. The rest of its output (init banners,
 * the plan already rendered above) needs --verbose.
 */
const RESOURCE_PROGRESS =
  /: (Creating\.\.\.|Creation complete|Destroying\.\.\.|Destruction complete|Modifying\.\.\.|Modifications complete|Still (creating|destroying|modifying))/;

/** Renders a Terraform plan the way `terraform plan` summarises it. */
export function renderPlan(ctx: RunContext, plan: PlanResult): void {
  const { style } = ctx.output;
  const sign: Record<string, string> = {
    create: style.green('+'),
    update: style.yellow('~'),
    delete: style.red('-'),
  };
  for (const change of plan.resourceChanges) {
    if (change.actions.every((a) => a === 'no-op' || a === 'read')) continue;
    const mark = change.actions.map((a) => sign[a] ?? a).join('');
    ctx.output.info(`  ${mark} ${change.address}`);
  }
  ctx.output.info(`Plan: ${plan.add} to add, ${plan.change} to change, ${plan.destroy} to destroy.`);
}

/** The hooks up/down share: progress and Terraform's lines under the spinner, the plan shown before asking. */
export function deployHooks(
  ctx: RunContext,
  spinner: Spinner,
  yes: boolean | undefined,
  question: string,
): TargetHooks {
  return {
    signal: ctx.signal,
    onStep: (message: string) => spinner.update(message),
    onOutput: (line: string) => {
      if (!line.trim()) return;
      if (ctx.flags.verbose) ctx.output.info(ctx.output.style.dim(line));
      else if (ctx.output.interactive) spinner.update(line.slice(0, 100));
      else if (RESOURCE_PROGRESS.test(line)) ctx.output.info(ctx.output.style.dim(line));
    },
    confirm: async (plan: PlanResult) => {
      spinner.stop();
      renderPlan(ctx, plan);
      return confirm(ctx.output, question, yes);
    },
  };
}
