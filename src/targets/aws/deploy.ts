import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type ServiceEndpoints, terraformEndpoints } from '../../aws/endpoints.js';
import { BUILT_IN_HANDLER_ENTRY } from '../../config/constants.js';
import type { LoadedStack } from '../../config/stack.js';
import type { StreamsClient } from '../../streams/shards.js';
import { type Clock, systemClock } from '../../util/time.js';
import { TargetError } from '../errors.js';
import { resolveHandlerEntry } from '../local/pipeline.js';
import type { CodeDeployApi, LambdaApi } from './canary/deployment.js';
import type { PreTrafficResult } from './canary/preTraffic.js';
import type { DeployOptions, DeployResult } from './canary/release.js';
import { verifyPlannedBundle } from './plannedBundle.js';
import {
  type AwsOutputs,
  type BackendConfig,
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
  terraformPaths,
  terraformPlan,
  terraformShowPlan,
} from './terraform.js';
import { defaultInfraDir, functionZipPath, functionZipPaths, infraVariables } from './vars.js';

/** What `up`/`down --target aws` need besides the stack. */
export interface AwsDeployOptions {
  loaded: LoadedStack;
  stateDir: string;
  /** AWS_PROFILE / AWS_REGION for Terraform (from --profile / --region). */
  env: Record<string, string | undefined>;
  /** Custom endpoints (an emulator); the provider gets them all, and skips its AWS-only checks. */
  endpoints?: ServiceEndpoints | undefined;
  /** Shown the plan; resolves true to go ahead (a TTY prompt, or --yes). */
  confirm(plan: PlanResult): Promise<boolean>;
  onStep?: ((message: string) => void) | undefined;
  onOutput?: TerraformOptions['onOutput'] | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Apply this saved plan instead of making one: the plan a CI job made and a
   * reviewer approved, with the bundle it was made with at its planned path.
   * A plan the state has moved past fails (Terraform: "Saved plan is stale");
   * it is never re-made. The file is left in place. @default undefined (plan here)
   */
  planFile?: string | undefined;
  /** Stop once the plan is saved (`<stateDir>/terraform/plan.tfplan`), without asking. @default false */
  planOnly?: boolean | undefined;
  /**
   * After apply, move `live` to the published version through CodeDeploy
   * (canary, pre-traffic check, automatic rollback). @default undefined (the alias stays where it is)
   */
  canary?: CanaryStepOptions | undefined;
}

/** The clients and callbacks of the deployment step after apply. */
export interface CanaryStepOptions {
  codedeploy: CodeDeployApi;
  lambda: LambdaApi;
  streams: StreamsClient;
  dynamodb: Pick<DynamoDBClient, 'send'>;
  /** Run the pre-traffic check (the caller resolved the stack setting and the flag). */
  preTrafficCheck: boolean;
  /** Asked before a version CodeDeploy's history shows as rolled back. */
  confirmRolledBack: DeployOptions['confirmRolledBack'];
  onProgress?: DeployOptions['onProgress'] | undefined;
  onStart?: DeployOptions['onStart'] | undefined;
  onPreTraffic?: ((result: PreTrafficResult) => void) | undefined;
  /** @default systemClock */
  clock?: Clock | undefined;
  /** Between CodeDeploy polls. @default 5000 */
  pollMs?: number | undefined;
}

export type AwsDeployResult =
  | {
      applied: true;
      outputs: AwsOutputs | undefined;
      plan: PlanResult;
      deployment?: DeployResult;
      /** The release of each function other than the built-in pipeline's, by name. */
      functionDeployments?: Record<string, DeployResult>;
    }
  | {
      applied: false;
      reason: 'no-changes' | 'declined' | 'plan-only';
      plan: PlanResult;
      outputs?: AwsOutputs | undefined;
      deployment?: DeployResult;
      functionDeployments?: Record<string, DeployResult>;
    };

/**
 * The version Terraform published goes live through CodeDeploy: the
 * pre-traffic check on it, then the deployment, followed to its end.
 */
async function releasePublishedVersion(
  options: AwsDeployOptions,
  outputs: AwsOutputs | undefined,
): Promise<DeployResult | undefined> {
  const canary = options.canary;
  // A version 2 stack without the built-in pipeline has no single-pipeline outputs.
  if (!canary || !outputs?.function_name) return undefined;
  const { stack } = options.loaded;
  const clock = canary.clock ?? systemClock;
  const { deployVersion, moveAliasAtOnce } = await import('./canary/release.js');
  const applicationName = outputs.codedeploy_app_name;
  const deploymentGroupName = outputs.codedeploy_deployment_group_name;
  if (!applicationName || !deploymentGroupName) {
    // The stack runs without CodeDeploy (deployment.codedeploy = false).
    return moveAliasAtOnce({
      lambda: canary.lambda,
      functionName: outputs.function_name,
      version: outputs.function_version,
      clock,
      confirmRolledBack: canary.confirmRolledBack,
      signal: options.signal,
    });
  }
  const pre = await import('./canary/preTraffic.js');
  const applied =
    stack.function.entry === BUILT_IN_HANDLER_ENTRY
      ? pre.appliedBySinkSequence({
          dynamodb: canary.dynamodb,
          sinkTable: outputs.sink_table_name,
          hashKey: stack.source_table.hash_key,
          signal: options.signal,
        })
      : pre.appliedByAge(clock.now());
  return deployVersion({
    codedeploy: canary.codedeploy,
    lambda: canary.lambda,
    group: { applicationName, deploymentGroupName },
    functionName: outputs.function_name,
    version: outputs.function_version,
    clock,
    pollMs: canary.pollMs,
    signal: options.signal,
    onProgress: canary.onProgress,
    onStart: canary.onStart,
    confirmRolledBack: canary.confirmRolledBack,
    ...(canary.preTrafficCheck
      ? {
          preTraffic: async (version: string) => {
            options.onStep?.(`Pre-traffic check of version ${version}`);
            const result = await pre.preTrafficCheck({
              streams: canary.streams,
              streamArn: outputs.stream_arn,
              lambda: canary.lambda,
              functionName: outputs.function_name,
              version,
              count: stack.deployment.pre_traffic_records,
              applied,
              region: outputs.region,
              clock,
              signal: options.signal,
            });
            canary.onPreTraffic?.(result);
            return result;
          },
        }
      : {}),
  });
}

/**
 * The published version of every function other than the built-in
 * pipeline's goes live too: through its CodeDeploy group (no pre-traffic
 * check: that one replays the built-in pipeline's stream), or at once
 * without CodeDeploy. One after the other, in file order; a failure stops.
 */
async function releaseOtherFunctions(
  options: AwsDeployOptions,
  outputs: AwsOutputs | undefined,
): Promise<Record<string, DeployResult>> {
  const canary = options.canary;
  if (!canary || !outputs?.functions) return {};
  const functions = outputs.functions;
  const { model } = options.loaded;
  const clock = canary.clock ?? systemClock;
  const [{ deployVersion, moveAliasAtOnce }, { deployedRelease }] = await Promise.all([
    import('./canary/release.js'),
    import('./deployedFunction.js'),
  ]);
  const outputsFile = terraformPaths(options.stateDir).outputsFile;
  const results: Record<string, DeployResult> = {};
  for (const name of Object.keys(model.functions)) {
    const fn = functions[name];
    if (!fn || model.pipeline?.function === name) continue;
    // The same names `rollback --function` moves back.
    const release = deployedRelease(outputs, model, name, outputsFile);
    options.onStep?.(`Releasing version ${fn.function_version} of ${name}`);
    const common = {
      lambda: canary.lambda,
      functionName: release.functionName,
      ...(release.alias ? { alias: release.alias } : {}),
      version: fn.function_version,
      clock,
      confirmRolledBack: canary.confirmRolledBack,
      ...(options.signal ? { signal: options.signal } : {}),
    };
    results[name] = release.group
      ? await deployVersion({
          ...common,
          codedeploy: canary.codedeploy,
          group: release.group,
          ...(canary.pollMs !== undefined ? { pollMs: canary.pollMs } : {}),
        })
      : await moveAliasAtOnce(common);
  }
  return results;
}

/** The pipeline's release, then every other function's. */
async function releaseAll(
  options: AwsDeployOptions,
  outputs: AwsOutputs | undefined,
): Promise<{ deployment?: DeployResult; functionDeployments?: Record<string, DeployResult> }> {
  const deployment = await releasePublishedVersion(options, outputs);
  const others = await releaseOtherFunctions(options, outputs);
  return {
    ...(deployment ? { deployment } : {}),
    ...(Object.keys(others).length > 0 ? { functionDeployments: others } : {}),
  };
}

/** Nothing for real AWS: the module's defaults keep every provider check. */
function endpointVariables(endpoints: ServiceEndpoints | undefined) {
  const tf = terraformEndpoints(endpoints ?? {});
  return Object.keys(tf).length > 0 ? { aws_endpoints: tf } : {};
}

function terraformOptions(options: AwsDeployOptions): TerraformOptions {
  return {
    infraDir: defaultInfraDir(),
    stateDir: options.stateDir,
    vars: infraVariables(options.loaded, options.stateDir, endpointVariables(options.endpoints)),
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
  await buildFunctionBundles(options.loaded, options.stateDir, step);
  const tf = terraformOptions(options);
  step('terraform init');
  await terraformInit(tf);
  step('terraform plan');
  const plan = await terraformPlan(tf);
  if (options.planOnly) return { applied: false, reason: 'plan-only', plan };
  return applyAndRelease(options, tf, plan, false);
}

/** One function's bundle as `up --target aws` uploads it. */
export interface BuiltFunction {
  function: string;
  bundleFile: string;
  zipFile: string;
}

/**
 * The bundle of every function the stack deploys, where the Terraform
 * variables say (vars.ts): the built-in pipeline's at lambda_zip_path, every
 * other function's at function_zip_paths[<name>]. Always built: the zip is
 * what Terraform hashes and uploads.
 */
export async function buildFunctionBundles(
  loaded: LoadedStack,
  stateDir: string,
  step: (message: string) => void,
): Promise<BuiltFunction[]> {
  const { stack, dir, model } = loaded;
  const { buildBundle } = await import('../../bundle/build.js');
  const built: BuiltFunction[] = [];
  if (model.pipeline) {
    step('Building the handler bundle');
    const result = await buildBundle({
      entry: resolveHandlerEntry(stack, dir),
      outDir: path.dirname(functionZipPath(stateDir)),
      handlerExport: stack.function.handler,
    });
    built.push({ function: model.pipeline.function, bundleFile: result.bundleFile, zipFile: result.zipFile });
  }
  for (const [name, zip] of Object.entries(functionZipPaths(loaded, stateDir))) {
    const fn = model.functions[name];
    if (!fn) continue;
    step(`Building the bundle of ${name}`);
    const result = await buildBundle({
      entry: path.resolve(dir, fn.entry),
      outDir: path.dirname(zip),
      handlerExport: fn.handler,
    });
    built.push({ function: name, bundleFile: result.bundleFile, zipFile: result.zipFile });
  }
  return built;
}

/** Apply (asked first) unless there is nothing to change; then the deployment of the published version. */
async function applyAndRelease(
  options: AwsDeployOptions,
  tf: TerraformOptions,
  plan: PlanResult,
  handedIn: boolean,
): Promise<AwsDeployResult> {
  if (!plan.hasChanges) {
    const outputs = await readAwsOutputs(options.stateDir);
    return { applied: false, reason: 'no-changes', plan, outputs, ...(await releaseAll(options, outputs)) };
  }
  if (!(await options.confirm(plan))) return { applied: false, reason: 'declined', plan };
  options.onStep?.(handedIn ? 'terraform apply (the saved plan)' : 'terraform apply');
  const applied = await terraformApply({
    ...tf,
    confirmed: true,
    planFile: plan.planFile,
    ...(handedIn ? { keepPlanFile: true } : {}),
  });
  const outputs = applied ?? (await readAwsOutputs(options.stateDir));
  return { applied: true, outputs, plan, ...(await releaseAll(options, outputs)) };
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
  return applyAndRelease(options, tf, planSummary(json, planFile), true);
}

/**
 * With local state, whether this state dir holds a deployment: stored outputs,
 * or a state file with resources (an apply that failed half-way). Undefined
 * with a remote backend, where only Terraform can tell.
 */
export async function localDeploymentExists(
  stateDir: string,
  backend: BackendConfig = backendFromEnv(),
): Promise<boolean | undefined> {
  if (backend.type !== 'local') return undefined;
  if (await readAwsOutputs(stateDir)) return true;
  let state: { resources?: unknown[] };
  try {
    state = JSON.parse(await readFile(terraformPaths(stateDir).stateFile, 'utf8')) as typeof state;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    // An unreadable state file is Terraform's to judge: let it run.
    return true;
  }
  return (state.resources ?? []).length > 0;
}

function noDeployment(stateDir: string): TargetError {
  const dir = terraformPaths(stateDir).root;
  return new TargetError(
    'targets.no-deployment',
    `No deployment found: the Terraform state in ${dir} holds no resources, so there is nothing to destroy.`,
    { details: { stateDir } },
  );
}

/** Plans the destroy, asks, destroys; nothing deployed is an error (before any `terraform init` with local state). */
export async function awsDown(options: AwsDeployOptions): Promise<{ destroyed: boolean; plan: PlanResult }> {
  const step = options.onStep ?? (() => {});
  const tf = terraformOptions(options);
  if ((await localDeploymentExists(options.stateDir, tf.backend)) === false)
    throw noDeployment(options.stateDir);
  await requireTerraform();
  step('terraform init');
  await terraformInit(tf);
  step('terraform plan -destroy');
  const plan = await terraformPlan({ ...tf, destroy: true });
  if (!plan.hasChanges) throw noDeployment(options.stateDir);
  if (!(await options.confirm(plan))) return { destroyed: false, plan };
  step('terraform destroy');
  await terraformDestroy({ ...tf, confirmed: true, planFile: plan.planFile });
  return { destroyed: true, plan };
}
