import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';

const fanOut = path.resolve(import.meta.dirname, '../../examples/fan-out');

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
  expect(help.stdout).toContain('--function <name>');
  expect(help.stdout).toContain('$ ddb-ingest rollback --target aws --function audit --yes');
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

test('rollback on a stack with two functions: --function is required (both listed), an unknown or undeployed one is named', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'rollback-fanout-'));
  try {
    await cp(fanOut, cwd, { recursive: true });
    // The choice comes first: no deployment needed to be told which functions there are.
    const unnamed = await runCli(['rollback', '--target', 'aws', '--yes'], { cwd });
    expect(unnamed.exitCode).toBe(2);
    expect(unnamed.stderr).toContain('The stack has 2 functions (fanout-ingest, fanout-audit)');
    expect(unnamed.stderr).toContain('--function');
    const unknown = await runCli(['rollback', '--target', 'aws', '--function', 'nope', '--yes'], { cwd });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('The stack has no function "nope"');
    // Outputs saved before fanout-audit was added to the stack file.
    await mkdir(path.join(cwd, '.ddb-ingest'), { recursive: true });
    await writeFile(
      path.join(cwd, '.ddb-ingest', 'aws-outputs.json'),
      JSON.stringify({ function_name: null, functions: { 'fanout-ingest': { function_version: '1' } } }),
    );
    const undeployed = await runCli(['rollback', '--target', 'aws', '--function', 'fanout-audit', '--yes'], {
      cwd,
    });
    expect(undeployed.exitCode).toBe(1);
    expect(undeployed.stderr).toContain('has no deployed function fanout-audit');
    expect(undeployed.stderr).toMatch(/Deploy it with `[^`]*ddb-ingest [^`]*up`/);
    expect(undeployed.stderr).toContain('deployed: fanout-ingest');
    expect(undeployed.stderr).not.toMatch(/\n\s+at /);
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
});
