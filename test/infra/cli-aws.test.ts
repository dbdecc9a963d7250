import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultInfraDir } from '../../src/targets/aws/vars.js';
import { runCli } from '../helpers/cli.js';
import { OFFLINE_ENV, requireTerraform } from './env.js';

// `up`/`down --target aws` through the built CLI, offline: real terraform
// init and plan with the mirrored provider; without a TTY and without --yes
// nothing is applied.
const { pluginDir } = requireTerraform();
const env = {
  ...OFFLINE_ENV,
  TF_PLUGIN_DIR: pluginDir,
  TF_VAR_skip_aws_checks: 'true',
  TF_VAR_account_id: '123456789012',
};

test('up --target aws builds, plans, shows the plan and refuses to apply without --yes off a TTY', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-aws-'));
  const r = await runCli(['up', '--target', 'aws'], { cwd, env, timeoutMs: 600_000 });
  expect(r.stderr).toContain('+ module.function["function"].aws_lambda_function.this');
  expect(r.stderr).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy\./);
  expect(r.stderr).toContain('Pass --yes to confirm.');
  expect(r.exitCode).toBe(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}, 900_000);

test('down/status/logs --target aws with nothing deployed: "No deployment found", exit 1, Terraform never started', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-aws-down-'));
  for (const command of ['down', 'status', 'logs']) {
    const r = await runCli([command, '--target', 'aws', '--json'], { cwd, env });
    expect({ command, code: r.exitCode }).toEqual({ command, code: 1 });
    expect(r.stderr).toContain('No deployment found');
    expect(r.stdout).toBe('');
  }
  // No `terraform init` ran: nothing was written to the state dir.
  expect(existsSync(path.join(cwd, '.ddb-ingest'))).toBe(false);
}, 60_000);

test('--plan-only saves the plan; --plan-file applies only that plan, with the bundle it was made with', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-aws-plan-'));
  const planned = await runCli(['up', '--target', 'aws', '--plan-only'], { cwd, env, timeoutMs: 600_000 });
  expect({ code: planned.exitCode, stderr: planned.exitCode ? planned.stderr : '' }).toEqual({
    code: 0,
    stderr: '',
  });
  const planFile = path.join(cwd, '.ddb-ingest', 'terraform', 'plan.tfplan');
  const zip = path.join(cwd, '.ddb-ingest', 'build', 'function.zip');
  expect(planned.stderr).toContain(`Plan saved to ${planFile}`);
  expect(existsSync(planFile)).toBe(true);
  // init ran against the committed lock file: the working copy holds the same one.
  const lock = await readFile(path.join(defaultInfraDir(), '.terraform.lock.hcl'), 'utf8');
  expect(
    await readFile(path.join(cwd, '.ddb-ingest', 'terraform', 'module', '.terraform.lock.hcl'), 'utf8'),
  ).toBe(lock);

  // A different bundle than the one planned is refused before anything is applied, and the plan is kept.
  const original = await readFile(zip);
  await writeFile(zip, Buffer.concat([original, Buffer.from('tampered')]));
  const tampered = await runCli(['up', '--target', 'aws', '--plan-file', planFile, '--yes'], {
    cwd,
    env,
    timeoutMs: 600_000,
  });
  expect(tampered.exitCode).toBe(1);
  expect(tampered.stderr).toContain(`${zip} is not the bundle this plan was made with`);
  expect(tampered.stderr).not.toContain('terraform apply');
  expect(existsSync(planFile)).toBe(true);

  await rm(zip);
  const missing = await runCli(['up', '--target', 'aws', '--plan-file', planFile, '--yes'], {
    cwd,
    env,
    timeoutMs: 600_000,
  });
  expect(missing.exitCode).toBe(1);
  expect(missing.stderr).toContain(`The handler bundle the plan was made with is missing: ${zip}`);

  const noPlan = await runCli(['up', '--target', 'aws', '--plan-file', 'nope.tfplan', '--yes'], {
    cwd,
    env,
    timeoutMs: 600_000,
  });
  expect(noPlan.exitCode).toBe(1);
  expect(noPlan.stderr).toContain(`No saved plan at ${path.join(cwd, 'nope.tfplan')}`);

  const both = await runCli(['up', '--target', 'aws', '--plan-only', '--plan-file', planFile], {
    cwd,
    env,
    timeoutMs: 600_000,
  });
  expect(both.exitCode).toBe(2);
  const local = await runCli(['up', '--plan-only'], { cwd, env, timeoutMs: 600_000 });
  expect(local.exitCode).toBe(2);
  expect(local.stderr).toContain('--plan-only is for the aws target.');
}, 1_800_000);
