import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toCliError } from '../../src/errorMessages.js';
import { InterruptedError, RuntimeError, UsageError } from '../../src/errors.js';
import {
  readAwsOutputs,
  requireTerraform,
  type TerraformOptions,
  terraformApply,
  terraformDestroy,
  terraformInit,
  terraformOutput,
  terraformPaths,
  terraformPlan,
} from '../../src/targets/aws/terraform.js';

// The aws target's driver against the real Terraform binary on a tiny config
// (test/fixtures/terraform/main.tf) built from Terraform's built-ins only: no
// provider download, no mirror, no credentials; each command takes well under
// a second. Every test gets its own state dir.
const fixtureDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'terraform');

let work: string;

beforeAll(async () => {
  // A missing binary fails the file loudly (RuntimeError with an install hint), never skips it.
  await requireTerraform();
  work = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-tf-seq-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Options for a fresh state dir; Terraform's lines are collected in `lines`. */
function fresh(name: string, vars: TerraformOptions['vars'] = {}) {
  const lines: string[] = [];
  const opts: TerraformOptions = {
    infraDir: fixtureDir,
    stateDir: path.join(work, name),
    vars,
    env: { CHECKPOINT_DISABLE: '1' },
    onOutput: (line) => lines.push(line),
  };
  return { opts, lines, paths: terraformPaths(opts.stateDir) };
}

test('init -> plan -> apply -> output -> re-plan -> destroy, outputs stored 0600 then removed', async () => {
  const { opts, lines, paths } = fresh('happy', { environment: 'dev', tags: { team: 'data' } });

  await terraformInit(opts);
  expect(lines.join('\n')).toContain('Terraform has been successfully initialized!');
  // The module is copied, never written to: the working copy lives in the state dir.
  expect(existsSync(path.join(paths.moduleDir, 'main.tf'))).toBe(true);
  expect(existsSync(path.join(fixtureDir, '.terraform'))).toBe(false);

  const plan = await terraformPlan(opts);
  expect(plan).toMatchObject({ hasChanges: true, add: 2, change: 0, destroy: 0 });
  expect(plan.resourceChanges.map((rc) => [rc.address, rc.actions])).toEqual([
    ['terraform_data.function', ['create']],
    ['terraform_data.table', ['create']],
  ]);
  expect(plan.planFile).toBe(paths.planFile);
  // The var file holds the plan's inputs; like every file we write here, owner-only.
  expect((await stat(paths.varFile)).mode & 0o777).toBe(0o600);
  expect(JSON.parse(await readFile(paths.varFile, 'utf8'))).toEqual({
    environment: 'dev',
    tags: { team: 'data' },
  });

  lines.length = 0;
  const outputs = await terraformApply({ ...opts, confirmed: true, planFile: plan.planFile });
  expect(lines.join('\n')).toMatch(/Apply complete! Resources: 2 added, 0 changed, 0 destroyed\./);
  // Sensitive outputs stay in Terraform's state, never in the file the other commands read.
  const expected = { source_table_name: 'orders-dev', function_name: 'ingest-dev' };
  expect(outputs).toEqual(expected);
  expect(existsSync(paths.planFile)).toBe(false);
  expect((await stat(paths.outputsFile)).mode & 0o777).toBe(0o600);
  expect(JSON.parse(await readFile(paths.outputsFile, 'utf8'))).toEqual(expected);
  expect(await readAwsOutputs(opts.stateDir)).toEqual(expected);
  expect(await terraformOutput(opts)).toEqual(expected);

  // Applied state matches the config: a second plan has nothing to do.
  const again = await terraformPlan(opts);
  expect(again).toMatchObject({ hasChanges: false, add: 0, change: 0, destroy: 0, resourceChanges: [] });

  // A changed input is an in-place update of the one resource that uses it...
  const changed = await terraformPlan({ ...opts, vars: { environment: 'dev', tags: { team: 'ops' } } });
  expect(changed.resourceChanges).toEqual([{ address: 'terraform_data.table', actions: ['update'] }]);

  // ...and destroy plans against the same state: both resources go, so does the outputs file.
  const destroyed = await terraformDestroy({ ...opts, confirmed: true });
  expect(destroyed).toMatchObject({ hasChanges: true, add: 0, destroy: 2 });
  expect(existsSync(paths.outputsFile)).toBe(false);
  expect(await readAwsOutputs(opts.stateDir)).toBeUndefined();
  expect(await terraformOutput(opts)).toBeUndefined();
  const afterDestroy = await terraformPlan(opts);
  expect(afterDestroy).toMatchObject({ add: 2, destroy: 0 });
}, 60_000);

test('apply and destroy without confirmation change nothing', async () => {
  const { opts, paths } = fresh('unconfirmed');
  await terraformInit(opts);
  const plan = await terraformPlan(opts);

  const refused: unknown = await terraformApply({ ...opts, confirmed: false, planFile: plan.planFile }).catch(
    (e) => toCliError(e) ?? e,
  );
  expect(refused).toBeInstanceOf(UsageError);
  expect((refused as UsageError).message).toBe('Refusing to change AWS resources without confirmation.');
  expect((refused as UsageError).hint).toMatch(/--yes/);
  expect((refused as UsageError).exitCode).toBe(2);
  // Terraform never ran: no state, no outputs, and the reviewed plan is still there to confirm.
  expect(existsSync(paths.stateFile)).toBe(false);
  expect(existsSync(paths.outputsFile)).toBe(false);
  expect(existsSync(plan.planFile)).toBe(true);

  await terraformApply({ ...opts, confirmed: true, planFile: plan.planFile });
  const noDestroy: unknown = await terraformDestroy({ ...opts, confirmed: false }).catch(
    (e) => toCliError(e) ?? e,
  );
  expect(noDestroy).toBeInstanceOf(UsageError);
  expect((noDestroy as UsageError).message).toBe('Refusing to destroy AWS resources without confirmation.');
  expect(existsSync(paths.outputsFile)).toBe(true);
  expect(await terraformPlan(opts)).toMatchObject({ hasChanges: false });
}, 60_000);

test("a failing apply surfaces Terraform's own error; the part that was created stays in state", async () => {
  const { opts, paths } = fresh('failing', { environment: 'fail' });
  await terraformInit(opts);
  const plan = await terraformPlan(opts);
  expect(plan.add).toBe(3);

  const err: unknown = await terraformApply({ ...opts, confirmed: true, planFile: plan.planFile }).catch(
    (e) => toCliError(e) ?? e,
  );
  expect(err).toBeInstanceOf(RuntimeError);
  const { message, hint } = err as RuntimeError;
  expect(message).toMatch(/^terraform apply failed:\nError: local-exec provisioner error/);
  // The provisioner's stderr and exit status come through as Terraform printed them.
  expect(message).toContain('exit status 3');
  expect(message).not.toMatch(/\n\s+at /);
  expect(hint).toMatch(/run `up --target aws` again/);
  // A half-applied plan is stale: it is removed so it cannot be applied twice.
  expect(existsSync(paths.planFile)).toBe(false);

  // What was created is in state; the resource whose provisioner failed is tainted,
  // so the next plan replaces just that one.
  const retry = await terraformPlan(opts);
  expect(retry.resourceChanges).toEqual([
    { address: 'terraform_data.broken[0]', actions: ['delete', 'create'] },
  ]);
}, 60_000);

test('applying without a saved plan, or with a stale one, is refused', async () => {
  const { opts } = fresh('stale');
  await terraformInit(opts);

  const none: unknown = await terraformApply({ ...opts, confirmed: true }).catch((e) => toCliError(e) ?? e);
  expect(none).toBeInstanceOf(RuntimeError);
  expect((none as RuntimeError).message).toMatch(/^No saved plan at /);

  // Two plans from the same state; once the first is applied the second no longer fits it.
  const first = await terraformPlan(opts);
  const older = path.join(opts.stateDir, 'older.tfplan');
  await copyFile(first.planFile, older);
  await terraformApply({ ...opts, confirmed: true, planFile: first.planFile });
  const stale: unknown = await terraformApply({ ...opts, confirmed: true, planFile: older }).catch(
    (e) => toCliError(e) ?? e,
  );
  expect(stale).toBeInstanceOf(RuntimeError);
  expect((stale as RuntimeError).message).toMatch(/^terraform apply failed:\nError: Saved plan is stale/);
  expect((stale as RuntimeError).hint).toMatch(/a stale plan is never re-made/);
}, 60_000);

test('a plan handed in from elsewhere is applied and left in place (keepPlanFile)', async () => {
  const { opts } = fresh('handed');
  await terraformInit(opts);
  const plan = await terraformPlan(opts);
  const handed = path.join(opts.stateDir, 'from-ci.tfplan');
  await copyFile(plan.planFile, handed);
  await terraformApply({ ...opts, confirmed: true, planFile: handed, keepPlanFile: true });
  expect(existsSync(handed)).toBe(true);
  expect(await readAwsOutputs(opts.stateDir)).toEqual({
    source_table_name: 'orders-test',
    function_name: 'ingest-test',
  });
}, 60_000);

test('an invalid input fails the plan with the variable validation message', async () => {
  const { opts } = fresh('invalid', { environment: 'Not Valid' });
  await terraformInit(opts);
  const err: unknown = await terraformPlan(opts).catch((e) => toCliError(e) ?? e);
  expect(err).toBeInstanceOf(RuntimeError);
  expect((err as RuntimeError).message).toMatch(/^terraform plan failed:\nError: Invalid value for variable/);
  expect((err as RuntimeError).message).toContain(
    'environment must be lowercase letters, digits and dashes.',
  );
}, 60_000);

test('aborting a running apply interrupts Terraform, which stops and releases the state lock', async () => {
  const { opts, lines } = fresh('interrupted', { environment: 'slow' });
  await terraformInit(opts);
  const plan = await terraformPlan(opts);

  const controller = new AbortController();
  const started = new Promise<void>((resolve) => {
    opts.onOutput = (line) => {
      lines.push(line);
      if (line.includes('fixture: slow resource started')) resolve();
    };
  });
  const applying = terraformApply({
    ...opts,
    signal: controller.signal,
    confirmed: true,
    planFile: plan.planFile,
  }).catch((e) => toCliError(e) ?? e);
  await started;
  controller.abort();
  const err: unknown = await applying;
  expect(err).toBeInstanceOf(InterruptedError);
  expect((err as InterruptedError).exitCode).toBe(130);
  expect(lines.join('\n')).toMatch(/Interrupt received/);

  // The lock was released (a plan with a 60 s lock timeout would otherwise wait,
  // then fail); the interrupted resource is tainted and planned again.
  const after = await terraformPlan({ ...opts, onOutput: undefined });
  expect(after.resourceChanges).toEqual([
    { address: 'terraform_data.slow[0]', actions: ['delete', 'create'] },
  ]);
}, 60_000);
