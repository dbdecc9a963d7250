import type { StackModel } from '../../config/model.js';
import { TargetError } from '../errors.js';
import type { AwsOutputs } from './terraform.js';

/** What moves one deployed function's `live`: its Lambda name, the alias, the CodeDeploy group (none without CodeDeploy). */
export interface DeployedRelease {
  functionName: string;
  /** Absent in outputs saved before the module named it: release.ts's default (`live`) then. */
  alias?: string;
  group?: { applicationName: string; deploymentGroupName: string };
}

const groupOf = (app: string | null | undefined, group: string | null | undefined) =>
  app && group ? { group: { applicationName: app, deploymentGroupName: group } } : {};

/**
 * Function `name` of the stack as the saved outputs describe it: from the
 * `functions` output, or for the built-in pipeline from the single-pipeline
 * outputs when they were saved before `functions` existed. A function the
 * outputs do not know (declared after the last `up`) is a TargetError.
 */
export function deployedRelease(
  outputs: AwsOutputs,
  model: Pick<StackModel, 'pipeline'>,
  name: string,
  outputsFile: string,
): DeployedRelease {
  const fn = outputs.functions?.[name];
  if (fn) {
    return {
      functionName: fn.function_name ?? name,
      ...(fn.live_alias_name ? { alias: fn.live_alias_name } : {}),
      ...groupOf(fn.codedeploy_app_name, fn.codedeploy_deployment_group_name),
    };
  }
  if (model.pipeline?.function === name && outputs.function_name) {
    return {
      functionName: outputs.function_name,
      ...groupOf(outputs.codedeploy_app_name, outputs.codedeploy_deployment_group_name),
    };
  }
  throw new TargetError('targets.function-not-deployed', `${outputsFile} has no deployed function ${name}.`, {
    details: { file: outputsFile, function: name, deployed: Object.keys(outputs.functions ?? {}) },
  });
}
