import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
  const r = await runCli(['up', '--target', 'aws'], { cwd, env });
  expect(r.stderr).toMatch(/\+ aws_lambda_function\.ingest|\+ aws_lambda_function\./);
  expect(r.stderr).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy\./);
  expect(r.stderr).toContain('Pass --yes to confirm.');
  expect(r.exitCode).toBe(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}, 180_000);

test('down --target aws with nothing deployed destroys nothing', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-aws-down-'));
  const r = await runCli(['down', '--target', 'aws', '--json'], { cwd, env });
  expect({ code: r.exitCode, stderr: r.exitCode ? r.stderr : '' }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(r.stdout)).toEqual({ target: 'aws', destroyed: false });
}, 180_000);
