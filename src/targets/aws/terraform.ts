import { chmod, copyFile, cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InterruptedError } from '../../errors.js';
import { TargetError } from '../errors.js';
import { STATE_ENTRIES } from '../local/paths.js';

/**
 * Drives the Terraform CLI for the aws target. Everything Terraform writes
 * (a working copy of the module, its lock file, providers, state, plan files,
 * outputs) lives under `<stateDir>/terraform/`: the module directory itself is
 * only read, so it can sit in the repository or in a read-only package install.
 */

/** Input variables of `infra/` (see infra/variables.tf for the meaning of each). */
export interface InfraVariables {
  stack_file?: string;
  lambda_zip_path?: string;
  /** Bundle zip of each function other than the built-in pipeline's, by name. */
  function_zip_paths?: Record<string, string>;
  environment?: string;
  region?: string | null;
  account_id?: string | null;
  log_level?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  log_retention_days?: number;
  kms_key_arn?: string | null;
  log_group_kms_key_arn?: string | null;
  pii_key_parameter_name?: string | null;
  pii_key_kms_key_arn?: string | null;
  alarm_email?: string | null;
  alarm_sns_topic_arn?: string | null;
  iterator_age_alarm_ms?: number;
  table_deletion_protection?: boolean;
  point_in_time_recovery?: boolean;
  aws_endpoint_url?: string | null;
  /** Provider endpoint name (`dynamodb`, `lambda`, ...) -> URL; see src/aws/endpoints.ts. */
  aws_endpoints?: Record<string, string>;
  skip_aws_checks?: boolean;
  tags?: Record<string, string>;
}

/** Where Terraform keeps its state. */
export type BackendConfig =
  | {
      /** State file `<stateDir>/terraform/terraform.tfstate` (the default). */
      type: 'local';
    }
  | {
      /**
       * S3 state with locking (DynamoDB table or S3 lock file); see
       * docs/deployment.md. Both become `-backend-config` arguments.
       */
      type: 's3';
      /** A partial backend file such as infra/examples/s3.tfbackend. */
      configFile?: string;
      /** Single settings, e.g. `{ key: 'ddb-ingest/prod/terraform.tfstate' }`; they win over the file. */
      config?: Record<string, string>;
    };

/**
 * The backend chosen by the environment: `DDB_INGEST_TF_BACKEND_CONFIG=<file>`
 * selects S3 with that partial backend file; unset means local state.
 */
export function backendFromEnv(env: Record<string, string | undefined> = process.env): BackendConfig {
  const file = env.DDB_INGEST_TF_BACKEND_CONFIG;
  return file ? { type: 's3', configFile: path.resolve(file) } : { type: 'local' };
}

/** The provider mirror from `TF_PLUGIN_DIR`, if set. */
export function pluginDirFromEnv(env: Record<string, string | undefined> = process.env): string | undefined {
  return env.TF_PLUGIN_DIR || undefined;
}

export interface TerraformOptions {
  /** The Terraform module (`infra/`). Only read: it is copied into the state dir before init. */
  infraDir: string;
  /** The stack's state dir (`.ddb-ingest/`); Terraform's files go to `<stateDir>/terraform/`. */
  stateDir: string;
  /** Input variables; written to a var file for plan (never passed on the command line). */
  vars?: InfraVariables | undefined;
  /** Extra environment for Terraform (AWS_PROFILE, AWS_REGION, ...), merged over process.env. */
  env?: Record<string, string | undefined> | undefined;
  /**
   * Provider mirror directory (the `TF_PLUGIN_DIR` variable): init installs
   * providers from it only, with no registry access. Omit to use the registry
   * (or the user's own CLI configuration).
   */
  pluginDir?: string | undefined;
  /** State backend; local by default. */
  backend?: BackendConfig | undefined;
  /** Receives Terraform's output line by line as it runs (progress for the CLI to render). */
  onOutput?: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined;
  /** Aborting sends Terraform SIGINT so it stops cleanly and releases the state lock. */
  signal?: AbortSignal | undefined;
  /** Terraform executable; `terraform` from the PATH by default. */
  terraformBin?: string | undefined;
  /**
   * Limit plan (and destroy) to these resource addresses (`-target`), e.g.
   * `TABLE_TARGETS`. Terraform warns that the result may be incomplete.
   */
  targets?: string[] | undefined;
}

/** The tables alone (every instance of modules/table): deployable against DynamoDB Local. */
export const TABLE_TARGETS = ['module.table'];

export interface ResourceChange {
  address: string;
  /** Terraform's actions: `create`, `update`, `delete`, `no-op`, `read`; a replacement lists two. */
  actions: string[];
}

export interface PlanResult {
  /** The saved plan; `terraformApply` applies exactly this. */
  planFile: string;
  hasChanges: boolean;
  add: number;
  change: number;
  destroy: number;
  resourceChanges: ResourceChange[];
}

/** The module's outputs (infra/outputs.tf): names, ARNs and URLs, never secrets. */
export interface AwsOutputs {
  region: string;
  source_table_name: string;
  sink_table_name: string;
  stream_arn: string;
  function_name: string;
  function_arn: string;
  function_version: string;
  live_alias_arn: string;
  live_version: string;
  event_source_mapping_uuid: string;
  /** CodeDeploy application and deployment group that shift `live` (infra/codedeploy.tf). */
  /** null when the stack file's deployment.codedeploy is false (an emulator without CodeDeploy). */
  codedeploy_app_name: string | null;
  codedeploy_deployment_group_name: string | null;
  dlq_url: string;
  dlq_arn: string;
  log_group_name: string;
  pii_key_parameter_name: string;
  pii_key_setup_command: string;
  alarm_topic_arn: string | null;
  dashboard_name: string;
  /**
   * Every function, table and mapping (any stack file version). Outputs saved
   * before the module had them lack them; the single-pipeline fields above
   * are null for a version 2 stack without the built-in pipeline.
   */
  dlq_urls?: Record<string, string>;
  functions?: Record<string, DeployedFunction>;
  tables?: Record<string, { arn: string; stream_arn: string | null }>;
  /** Keyed "<function>/<table>". */
  mappings?: Record<string, DeployedMapping>;
}

/** One function of the `functions` output. */
export interface DeployedFunction {
  /** Absent in outputs saved before the module had it: the map's key is the same name. */
  function_name?: string;
  function_arn: string;
  function_version: string;
  /** Absent in outputs saved before the module had it (the alias was `live` then too). */
  live_alias_name?: string;
  live_alias_arn: string;
  log_group_name: string;
  dlq_url: string;
  dlq_arn: string;
  codedeploy_app_name: string | null;
  codedeploy_deployment_group_name: string | null;
}

/** One event source mapping of the `mappings` output. */
export interface DeployedMapping {
  function: string;
  table: string;
  uuid: string;
  stream_arn: string;
  dlq_url: string;
}

export const AWS_OUTPUTS_FILE = STATE_ENTRIES.awsOutputs;

/** Paths under `<stateDir>/terraform/`. */
export function terraformPaths(stateDir: string) {
  const root = path.join(stateDir, STATE_ENTRIES.terraform);
  return {
    root,
    /** Working copy of the module; init writes `.terraform.lock.hcl` here. */
    moduleDir: path.join(root, 'module'),
    /** TF_DATA_DIR: providers and backend settings. */
    dataDir: path.join(root, 'data'),
    stateFile: path.join(root, 'terraform.tfstate'),
    planFile: path.join(root, 'plan.tfplan'),
    varFile: path.join(root, 'ddb-ingest.tfvars.json'),
    outputsFile: path.join(stateDir, AWS_OUTPUTS_FILE),
  };
}

interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Fails fast, before anything is built or copied, when Terraform cannot run.
 * `terraform version` needs no working directory or state.
 */
export async function requireTerraform(bin = 'terraform'): Promise<void> {
  const { spawnSync } = await import('node:child_process');
  const result = spawnSync(bin, ['version'], { stdio: 'ignore' });
  if (result.error || result.status !== 0) {
    throw new TargetError(
      'targets.terraform-missing',
      `Terraform was not found (${bin}): the aws target needs it.`,
      {
        details: { bin },
      },
    );
  }
}

/**
 * Runs one Terraform command in the working copy; failures become TargetError
 * with Terraform's own text. `data`: stdout is a JSON document for us to
 * parse (show -json, output -json), not progress, so it is not forwarded.
 */
async function run(opts: TerraformOptions, args: string[], what: string, data = false): Promise<RunResult> {
  const { execa } = await import('execa');
  const paths = terraformPaths(opts.stateDir);
  const bin = opts.terraformBin ?? 'terraform';
  const forward = (stream: 'stdout' | 'stderr') =>
    function* (line: unknown) {
      if (!(data && stream === 'stdout')) opts.onOutput?.(String(line), stream);
      yield line;
    };
  const result = await execa(bin, [`-chdir=${paths.moduleDir}`, ...args], {
    reject: false,
    env: {
      ...opts.env,
      TF_DATA_DIR: paths.dataDir,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
    },
    stdin: 'ignore',
    stdout: forward('stdout'),
    stderr: forward('stderr'),
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    // Terraform treats SIGINT as "stop gracefully": it finishes the call in
    // flight, writes state and releases the lock.
    killSignal: 'SIGINT',
    forceKillAfterDelay: 60_000,
  });
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if (result.isCanceled) throw new InterruptedError();
  if (result.failed) {
    if (result.code === 'ENOENT') {
      throw new TargetError(
        'targets.terraform-missing',
        `Terraform was not found (${bin}): the aws target needs it.`,
        {
          details: { bin },
        },
      );
    }
    const output = terraformErrorText(stderr, stdout) || result.shortMessage;
    throw new TargetError('targets.terraform-failed', `terraform ${what} failed:\n${output}`, {
      details: { command: what, output },
    });
  }
  return { stdout, stderr };
}

/** Terraform's error blocks, without the warnings before them; the whole output when there are none. */
export function terraformErrorText(stderr: string, stdout = ''): string {
  for (const text of [stderr, stdout]) {
    const lines = text.split('\n');
    const first = lines.findIndex((l) => /^(\u2502 )?Error: /.test(l));
    if (first >= 0) return lines.slice(first).join('\n').trim();
  }
  return (stderr.trim() || stdout.trim()).split('\n').slice(-40).join('\n');
}

/** The module's dependency lock file: committed, so every init verifies the same provider checksums. */
export const LOCK_FILE = '.terraform.lock.hcl';

/** The root module's own modules (infra/modules/<name>/*.tf), copied along with it. */
export const MODULES_DIR = 'modules';

/**
 * Copies the module's *.tf files, its modules/ and its lock file into the
 * working copy, dropping files the module no longer has.
 */
async function syncModule(infraDir: string, moduleDir: string, backend: BackendConfig): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(infraDir)).filter((f) => f.endsWith('.tf'));
  } catch (err) {
    throw new TargetError(
      'targets.terraform-module-unreadable',
      `Cannot read the Terraform module ${infraDir}: ${(err as Error).message}`,
      { cause: err, details: { infraDir } },
    );
  }
  if (entries.length === 0) {
    throw new TargetError('targets.terraform-module-empty', `${infraDir} holds no Terraform files (*.tf).`, {
      details: { infraDir },
    });
  }
  await mkdir(moduleDir, { recursive: true });
  for (const old of await readdir(moduleDir)) {
    if (old.endsWith('.tf') && !entries.includes(old)) await rm(path.join(moduleDir, old));
  }
  for (const file of entries) await copyFile(path.join(infraDir, file), path.join(moduleDir, file));
  // Copied whole each time: a module the root no longer has must not linger.
  await rm(path.join(moduleDir, MODULES_DIR), { recursive: true, force: true });
  const modules = path.join(infraDir, MODULES_DIR);
  if (
    await stat(modules).then(
      (s) => s.isDirectory(),
      () => false,
    )
  ) {
    await cp(modules, path.join(moduleDir, MODULES_DIR), {
      recursive: true,
      filter: (source) => !source.includes(`${path.sep}.terraform`),
    });
  }
  // Without the module's lock, init would pick and record whatever provider
  // build it finds; with it, plan and apply machines install the same,
  // checksummed provider or fail.
  const lock = path.join(infraDir, LOCK_FILE);
  if (
    await stat(lock).then(
      (s) => s.isFile(),
      () => false,
    )
  )
    await copyFile(lock, path.join(moduleDir, LOCK_FILE));
  if (backend.type === 's3') {
    // An override file swaps the backend type; the settings come as -backend-config.
    await writeFile(path.join(moduleDir, 'backend_override.tf'), 'terraform {\n  backend "s3" {}\n}\n');
  }
}

/**
 * Prepares `<stateDir>/terraform/` and runs `terraform init`: providers from
 * `pluginDir` when given, state in the local file or the S3 backend.
 */
export async function terraformInit(
  opts: TerraformOptions & {
    /** Forget the previous backend settings (`-reconfigure`). */
    reconfigure?: boolean;
    /** Copy the state from the previous backend to the new one (`-migrate-state -force-copy`). */
    migrateState?: boolean;
  },
): Promise<void> {
  const paths = terraformPaths(opts.stateDir);
  const backend = opts.backend ?? { type: 'local' };
  await mkdir(paths.root, { recursive: true });
  await syncModule(opts.infraDir, paths.moduleDir, backend);
  const args = ['init', '-input=false', '-no-color'];
  if (opts.pluginDir) {
    const ok = await stat(opts.pluginDir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!ok) {
      throw new TargetError(
        'targets.plugin-dir-invalid',
        `The provider mirror ${opts.pluginDir} (TF_PLUGIN_DIR) is not a directory.`,
        { details: { pluginDir: opts.pluginDir } },
      );
    }
    args.push(`-plugin-dir=${opts.pluginDir}`);
  }
  if (backend.type === 'local') {
    args.push(`-backend-config=path=${paths.stateFile}`);
  } else {
    if (backend.configFile) args.push(`-backend-config=${backend.configFile}`);
    for (const [key, value] of Object.entries(backend.config ?? {}))
      args.push(`-backend-config=${key}=${value}`);
  }
  if (opts.reconfigure) args.push('-reconfigure');
  if (opts.migrateState) args.push('-migrate-state', '-force-copy');
  await run(opts, args, 'init');
}

/** `terraform validate`: the module is well-formed (needs init). */
export async function terraformValidate(opts: TerraformOptions): Promise<void> {
  await run(opts, ['validate', '-no-color'], 'validate');
}

async function writeVarFile(file: string, vars: InfraVariables | undefined): Promise<void> {
  const defined = Object.fromEntries(Object.entries(vars ?? {}).filter(([, v]) => v !== undefined));
  await writeFile(file, `${JSON.stringify(defined, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

/**
 * `terraform plan` saved to `<stateDir>/terraform/plan.tfplan` (or
 * `plan -destroy`), summarised from `terraform show -json`.
 */
export async function terraformPlan(opts: TerraformOptions & { destroy?: boolean }): Promise<PlanResult> {
  const paths = terraformPaths(opts.stateDir);
  await writeVarFile(paths.varFile, opts.vars);
  await rm(paths.planFile, { force: true });
  const args = [
    'plan',
    '-input=false',
    '-no-color',
    '-lock-timeout=60s',
    `-var-file=${paths.varFile}`,
    `-out=${paths.planFile}`,
  ];
  if (opts.destroy) args.push('-destroy');
  for (const target of opts.targets ?? []) args.push(`-target=${target}`);
  await run(opts, args, opts.destroy ? 'plan -destroy' : 'plan');
  return summarisePlan(opts, paths.planFile);
}

/** A saved plan summarised from `terraform show -json` (for a plan made here or handed over from elsewhere). */
export async function summarisePlan(opts: TerraformOptions, planFile: string): Promise<PlanResult> {
  return planSummary(await terraformShowPlan(opts, planFile), planFile);
}

/** What a plan changes, from its JSON form. */
export function planSummary(plan: TerraformPlanJson, planFile: string): PlanResult {
  const resourceChanges = (plan.resource_changes ?? [])
    .map((rc) => ({ address: rc.address, actions: rc.change.actions }))
    .filter((rc) => !(rc.actions.length === 1 && (rc.actions[0] === 'no-op' || rc.actions[0] === 'read')));
  const count = (action: string) => resourceChanges.filter((rc) => rc.actions.includes(action)).length;
  return {
    planFile,
    hasChanges: resourceChanges.length > 0 || Object.values(plan.output_changes ?? {}).some(isChange),
    add: count('create'),
    change: count('update'),
    destroy: count('delete'),
    resourceChanges,
  };
}

function isChange(change: { actions?: string[] }): boolean {
  return !(change.actions ?? []).every((a) => a === 'no-op');
}

/** The subset of Terraform's JSON plan format this module reads; the rest passes through. */
export interface TerraformPlanJson {
  resource_changes?: {
    address: string;
    type: string;
    mode: string;
    change: { actions: string[]; after: Record<string, unknown> | null; after_unknown?: unknown };
  }[];
  output_changes?: Record<string, { actions?: string[]; after?: unknown; after_sensitive?: unknown }>;
  planned_values?: { outputs?: Record<string, { value?: unknown; sensitive: boolean }> };
  [key: string]: unknown;
}

/** `terraform show -json <plan>`: the machine-readable plan. */
export async function terraformShowPlan(
  opts: TerraformOptions,
  planFile: string,
): Promise<TerraformPlanJson> {
  const { stdout } = await run(opts, ['show', '-json', '-no-color', planFile], 'show', true);
  return JSON.parse(stdout) as TerraformPlanJson;
}

function requireConfirmation(confirmed: boolean, what: string): void {
  if (confirmed !== true) {
    throw new TargetError(
      'targets.confirmation-required',
      `Refusing to ${what} AWS resources without confirmation.`,
      {
        details: { action: what },
      },
    );
  }
}

async function applySaved(opts: TerraformOptions, planFile: string, keepPlanFile = false): Promise<void> {
  const exists = await stat(planFile).then(
    () => true,
    () => false,
  );
  if (!exists) {
    throw new TargetError('targets.no-saved-plan', `No saved plan at ${planFile}.`, {
      details: { planFile },
    });
  }
  try {
    await run(opts, ['apply', '-input=false', '-no-color', '-lock-timeout=60s', planFile], 'apply');
  } catch (err) {
    // Terraform gives no error codes: its own text is all there is to tell a stale plan by.
    const output = err instanceof TargetError ? String(err.details?.output ?? '') : '';
    if (/Error: Saved plan is stale/.test(output)) {
      throw new TargetError(
        'targets.plan-stale',
        `${(err as Error).message}\nThe state changed after this plan was made, so it no longer describes what apply would do.`,
        { cause: err, details: { planFile } },
      );
    }
    throw err;
  } finally {
    // Applied or failed half-way, a saved plan is stale once apply has started.
    // A plan file handed in from elsewhere (a CI artifact) is the caller's to keep.
    if (!keepPlanFile) await rm(planFile, { force: true });
  }
}

/**
 * Applies exactly the saved plan from `terraformPlan`, then stores the
 * outputs. `confirmed` must be true: the caller asked the user on a TTY or was
 * given --yes.
 */
export async function terraformApply(
  opts: TerraformOptions & {
    confirmed: boolean;
    planFile?: string;
    /** Leave the plan file in place afterwards (it was not made by this state dir). @default false */
    keepPlanFile?: boolean;
  },
): Promise<AwsOutputs | undefined> {
  requireConfirmation(opts.confirmed, 'change');
  await applySaved(opts, opts.planFile ?? terraformPaths(opts.stateDir).planFile, opts.keepPlanFile);
  return terraformOutput(opts);
}

/**
 * Plans the destruction and applies it (`confirmed` as for apply), and
 * forgets the stored outputs. To show the plan before asking, call
 * `terraformPlan({ destroy: true })` first and pass its file as `planFile`.
 */
export async function terraformDestroy(
  opts: TerraformOptions & { confirmed: boolean; planFile?: string },
): Promise<PlanResult | undefined> {
  requireConfirmation(opts.confirmed, 'destroy');
  const plan = opts.planFile ? undefined : await terraformPlan({ ...opts, destroy: true });
  await applySaved(opts, opts.planFile ?? (plan as PlanResult).planFile);
  await rm(terraformPaths(opts.stateDir).outputsFile, { force: true });
  return plan;
}

/**
 * `terraform output -json`, stored to `<stateDir>/aws-outputs.json` for the
 * other commands. Returns undefined (and removes the file) when the state has
 * no outputs, as after a destroy.
 */
export async function terraformOutput(opts: TerraformOptions): Promise<AwsOutputs | undefined> {
  const paths = terraformPaths(opts.stateDir);
  const { stdout } = await run(opts, ['output', '-json', '-no-color'], 'output', true);
  const raw = JSON.parse(stdout || '{}') as Record<string, { value: unknown; sensitive: boolean }>;
  const entries = Object.entries(raw).filter(([, o]) => !o.sensitive);
  if (entries.length === 0) {
    await rm(paths.outputsFile, { force: true });
    return undefined;
  }
  const outputs = Object.fromEntries(entries.map(([k, o]) => [k, o.value])) as unknown as AwsOutputs;
  await mkdir(path.dirname(paths.outputsFile), { recursive: true });
  await writeFile(paths.outputsFile, `${JSON.stringify(outputs, null, 2)}\n`, { mode: 0o600 });
  // `mode` applies only when the file is created; an older file keeps its bits otherwise.
  await chmod(paths.outputsFile, 0o600);
  return outputs;
}

/** The outputs stored by the last apply, or undefined when the aws target was never deployed. */
export async function readAwsOutputs(stateDir: string): Promise<AwsOutputs | undefined> {
  const file = terraformPaths(stateDir).outputsFile;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as AwsOutputs;
  } catch (err) {
    throw new TargetError(
      'targets.outputs-bad-json',
      `${file} is not valid JSON: ${(err as Error).message}`,
      {
        cause: err,
        details: { file },
      },
    );
  }
}

/**
 * The outputs of the deployment this state dir made, or a clear error: every
 * aws-target command besides `up` needs them (table names, queue URL, key name).
 */
export async function requireAwsOutputs(stateDir: string): Promise<AwsOutputs> {
  const outputs = await readAwsOutputs(stateDir);
  if (!outputs) {
    throw new TargetError(
      'targets.no-deployment',
      `No deployment found: ${terraformPaths(stateDir).outputsFile} is missing.`,
      { details: { outputsFile: terraformPaths(stateDir).outputsFile } },
    );
  }
  return outputs;
}
