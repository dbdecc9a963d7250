import type { RunContext } from '../context.js';
import type { Spinner } from '../output.js';
import type { DeploymentProgress } from '../targets/aws/canary/deployment.js';
import type { RolledBackVersion } from '../targets/aws/canary/release.js';
import { confirm } from './confirm.js';

/** Rendering of a release for up and rollback (progress, the rolled-back question); the work is ctx.target's. */

/** One line for a deployment's state: status and, while shifting, the new version's share. */
export function progressLine(p: DeploymentProgress): string {
  const split = Object.entries(p.weights ?? {})
    .map(([version, weight]) => `${Math.round(weight * 100)}% on version ${version}`)
    .join(', ');
  return `${p.rollingBack ? 'rollback ' : ''}deployment ${p.deploymentId}: ${p.status}${split ? ` (${split})` : ''}`;
}

/** Progress under the spinner on a terminal; each change on its own line elsewhere (CI logs). */
export function progressReporter(ctx: RunContext, spinner: Spinner) {
  let last = '';
  return (p: DeploymentProgress) => {
    const line = progressLine(p);
    if (line === last) return;
    last = line;
    if (ctx.output.interactive) spinner.update(line);
    else ctx.output.info(line);
  };
}

/** The question before deploying a version that was rolled back. */
export function confirmRolledBack(ctx: RunContext, spinner: Spinner, yes: boolean | undefined) {
  return async (info: RolledBackVersion) => {
    spinner.stop();
    const when = info.at ? ` on ${info.at.toISOString()}` : '';
    const how =
      info.how === 'automatic'
        ? 'CodeDeploy rolled it back'
        : 'it was rolled back with `ddb-ingest rollback`';
    ctx.output.warn(
      `Version ${info.version} would be deployed, but ${how}${when}${info.deploymentId ? ` (deployment ${info.deploymentId})` : ''}.`,
    );
    return confirm(ctx.output, `Deploy version ${info.version} again?`, yes, ctx.signal);
  };
}
