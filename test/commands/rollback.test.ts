import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';

// `rollback` through the built CLI: what a user sees before any AWS call.
// (The driver's behaviour against CodeDeploy is test/targets/canary.test.ts.)

test('rollback is for the aws target: on local it is a usage error', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'rollback-'));
  const r = await runCli(['rollback'], { cwd });
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain('rollback is for the aws target');
  expect(r.stderr).toContain('ddb-ingest rollback --target aws');
});

test('rollback --target aws without a deployment says so, exit 1, no stack trace', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'rollback-aws-'));
  const r = await runCli(['rollback', '--target', 'aws', '--yes'], { cwd });
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/No deployment found/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test('rollback --help explains both cases and gives examples; bad --to-version is refused', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'rollback-help-'));
  const help = await runCli(['rollback', '--help'], { cwd });
  expect(help.exitCode).toBe(0);
  expect(help.stdout).toContain('--to-version <n>');
  expect(help.stdout).toContain('$ ddb-ingest rollback --target aws');
  expect(help.stdout).toMatch(/With a deployment running, rollback stops it/);
  const bad = await runCli(['rollback', '--target', 'aws', '--to-version', 'x'], { cwd });
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('--to-version must be a whole number');
});

test('up --help documents the canary and --no-pre-traffic-check', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'up-help-'));
  const help = await runCli(['up', '--help'], { cwd });
  expect(help.stdout).toContain('--no-pre-traffic-check');
  expect(help.stdout).toContain('--plan-file <file>');
  expect(help.stdout).toMatch(/goes live through CodeDeploy/);
});
