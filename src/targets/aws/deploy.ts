import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedStack } from '../../config/stack.js';
import { TargetError } from '../errors.js';
import { resolveHandlerEntry } from '../local/pipeline.js';
import { verifyPlannedBundle } from './plannedBundle.js';
import {
  type AwsOutputs,
  backendFromEnv,
  type PlanResult,
  planSummary,
  pluginDirFromEnv,
  readAwsOutputs,
  requireTerraform,
  type TerraformOptions,
  terraformApply,
  terraformDestroy,
  terraformInit,
  terraformPlan,
  terraformShowPlan,
} from './terraform.js';
import { defaultInfraDir, functionZipPath, infraVariables } from './vars.js';

/** What `up`/`down --target aws` need besides the stack. */
export interface AwsDeployOptions {
  loaded: LoadedStack;
  stateDir: string;
  /** AWS_PROFILE / AWS_REGION for Terraform (from --profile / --region). */
  env: Record<string, string | undefined>;
  /** Shown the plan; resolves true to go ahead (a TTY prompt, or --yes). */
  confirm(plan: PlanResult): Promise<boolean>;
  onStep?: (message: string) => void;
  onOutput?: TerraformOptions['onOutput'];
  signal?: AbortSignal;
  /**
   * Apply this saved plan instead of making one: the plan a CI job made and a
   * reviewer approved, with the bundle it was made with at its planned path.
   * A plan the state has moved past fails (Terraform: "Saved plan is stale");
   * it is never re-made. The file is left in place. @default undefined (plan here)
   */
  planFile?: string;
  /** Stop once the plan is saved (`<stateDir>/terraform/plan.tfplan`), without asking. @default false */
  planOnly?: boolean;
}

export type AwsDeployResult =
  | { applied: true; outputs: AwsOutputs | undefined; plan: PlanResult }
  | {
      applied: false;
      reason: 'no-changes' | 'declined' | 'plan-only';
      plan: PlanResult;
      outputs?: AwsOutputs;
    };

function terraformOptions(options: AwsDeployOptions): TerraformOptions {
  return {
    infraDir: defaultInfraDir(),
    stateDir: options.stateDir,
    vars: infraVariables(options.loaded, options.stateDir),
    env: options.env,
    pluginDir: pluginDirFromEnv(),
    backend: backendFromEnv(),
    onOutput: options.onOutput,
    signal: options.signal,
  };
}

/**
 * Deploys the stack: the same handler bundle the local target runs, then
 * `terraform init`, a saved plan shown for confirmation, and `apply` of
 * exactly that plan. Outputs land in `<stateDir>/aws-outputs.json`.
 */
export async function awsUp(options: AwsDeployOptions): Promise<AwsDeployResult> {
  if (options.planFile) return applyHandedPlan(options, options.planFile);
  const step = options.onStep ?? (() => {});
  await requireTerraform();
  const { stack, dir } = options.loaded;
  step('Building the handler bundle');
  const { buildBundle } = await import('../../bundle/build.js');
  await buildBundle({
    entry: resolveHandlerEntry(stack, dir),
    outDir: path.dirname(functionZipPath(options.stateDir)),
    handlerExport: stack.function.handler,
  });
  const tf = terraformOptions(options);
  step('terraform init');
  await terraformInit(tf);
  step('terraform plan');
  const plan = await terraformPlan(tf);
  if (options.planOnly) return { applied: false, reason: 'plan-only', plan };
  if (!plan.hasChanges) {
    return { applied: false, reason: 'no-changes', plan, outputs: await readAwsOutputs(options.stateDir) };
  }
  if (!(await options.confirm(plan))) return { applied: false, reason: 'declined', plan };
  step('terraform apply');
  const outputs = await terraformApply({ ...tf, confirmed: true, planFile: plan.planFile });
  return { applied: true, outputs: outputs ?? (await readAwsOutputs(options.stateDir)), plan };
}

/** `up --plan-file`: init the same way, check the bundle against the plan, apply exactly that file. */
async function applyHandedPlan(options: AwsDeployOptions, file: string): Promise<AwsDeployResult> {
  const step = options.onStep ?? (() => {});
  await requireTerraform();
  const planFile = path.resolve(file);
  const exists = await stat(planFile).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!exists) {
    throw new TargetError('targets.handed-plan-missing', `No saved plan at ${planFile}.`, {
      details: { planFile },
    });
  }
  const tf = terraformOptions(options);
  step('terraform init');
  await terraformInit(tf);
  const json = await terraformShowPlan(tf, planFile);
  await verifyPlannedBundle(json);
  const plan = planSummary(json, planFile);
  if (!plan.hasChanges) {
    return { applied: false, reason: 'no-changes', plan, outputs: await readAwsOutputs(options.stateDir) };
  }
  if (!(await options.confirm(plan))) return { applied: false, reason: 'declined', plan };
  step('terraform apply (the saved plan)');
  const outputs = await terraformApply({ ...tf, confirmed: true, planFile, keepPlanFile: true });
  return { applied: true, outputs: outputs ?? (await readAwsOutputs(options.stateDir)), plan };
}

/** Plans the destroy, asks, destroys. */
export async function awsDown(options: AwsDeployOptions): Promise<{ destroyed: boolean; plan: PlanResult }> {
  const step = options.onStep ?? (() => {});
  await requireTerraform();
  const tf = terraformOptions(options);
  step('terraform init');
  await terraformInit(tf);
  step('terraform plan -destroy');
  const plan = await terraformPlan({ ...tf, destroy: true });
  if (!plan.hasChanges) return { destroyed: false, plan };
  if (!(await options.confirm(plan))) return { destroyed: false, plan };
  step('terraform destroy');
  await terraformDestroy({ ...tf, confirmed: true, planFile: plan.planFile });
  return { destroyed: true, plan };
}
