import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toCliError } from '../../src/errorMessages.js';
import { RuntimeError } from '../../src/errors.js';
import {
  backendFromEnv,
  type TerraformOptions,
  terraformErrorText,
  terraformInit,
  terraformPlan,
} from '../../src/targets/aws/terraform.js';
import { getFreePort } from '../../src/util/net.js';
import { FAKE_ACCOUNT_ID, makeWorkDir, OFFLINE_ENV, requireTerraform } from './env.js';

let work: { dir: string; zip: string };
let opts: TerraformOptions;

beforeAll(async () => {
  const { pluginDir, infraDir } = requireTerraform();
  work = await makeWorkDir();
  opts = { infraDir, stateDir: path.join(work.dir, 'state'), env: OFFLINE_ENV, pluginDir };
});

afterAll(async () => {
  if (work) await rm(work.dir, { recursive: true, force: true });
});

test('terraform missing from the PATH is a RuntimeError with an install hint', async () => {
  const emptyBin = path.join(work.dir, 'empty-bin');
  await mkdir(emptyBin);
  const err: unknown = await terraformInit({ ...opts, env: { ...OFFLINE_ENV, PATH: emptyBin } }).catch(
    (e) => toCliError(e) ?? e,
  );
  expect(err).toBeInstanceOf(RuntimeError);
  expect((err as RuntimeError).message).toMatch(/Terraform was not found/);
  expect((err as RuntimeError).hint).toMatch(/Install Terraform/);
  expect((err as RuntimeError).exitCode).toBe(1);
});

test('a provider mirror that does not exist is refused before Terraform runs', async () => {
  const err: unknown = await terraformInit({ ...opts, pluginDir: path.join(work.dir, 'nope') }).catch(
    (e) => toCliError(e) ?? e,
  );
  expect(err).toBeInstanceOf(RuntimeError);
  expect((err as RuntimeError).message).toMatch(/TF_PLUGIN_DIR/);
});

test("a failing plan shows Terraform's own error text", async () => {
  await terraformInit(opts);
  const stackFile = path.join(work.dir, 'broken.json');
  await writeFile(stackFile, '{ "name": ');
  const err: unknown = await terraformPlan({
    ...opts,
    vars: {
      stack_file: stackFile,
      lambda_zip_path: work.zip,
      account_id: FAKE_ACCOUNT_ID,
      skip_aws_checks: true,
    },
  }).catch((e) => toCliError(e) ?? e);
  expect(err).toBeInstanceOf(RuntimeError);
  const message = (err as RuntimeError).message;
  expect(message).toMatch(/^terraform plan failed:\nError: /);
  expect(message).toContain('jsondecode');
  // Terraform's text, not a Node stack trace.
  expect(message).not.toMatch(/\n\s+at /);

  const badVar: unknown = await terraformPlan({
    ...opts,
    vars: {
      lambda_zip_path: work.zip,
      account_id: FAKE_ACCOUNT_ID,
      skip_aws_checks: true,
      log_retention_days: 42,
    },
  }).catch((e) => toCliError(e) ?? e);
  expect((badVar as RuntimeError).message).toContain(
    'log_retention_days must be a retention CloudWatch Logs accepts',
  );
}, 60_000);

test('error text skips the warnings Terraform prints first', () => {
  const stderr = [
    'Warning: Unable to open CLI configuration file',
    '',
    'The CLI configuration file at "/x" does not exist.',
    '',
    'Error: Reference to undeclared input variable',
    '',
    '  on main.tf line 1:',
  ].join('\n');
  expect(terraformErrorText(stderr)).toBe(
    'Error: Reference to undeclared input variable\n\n  on main.tf line 1:',
  );
  expect(terraformErrorText('', 'only stdout here\n')).toBe('only stdout here');
});

test('DDB_INGEST_TF_BACKEND_CONFIG switches the state to the S3 backend described by that file', async () => {
  // Nothing listens on the port: init must fail at the S3 call, after Terraform
  // has taken the backend type and every setting from our override and file.
  const port = await getFreePort();
  const file = path.join(work.dir, 'test.s3.tfbackend');
  await writeFile(
    file,
    [
      'bucket                      = "ddb-ingest-state-test"',
      'key                         = "ddb-ingest/test/terraform.tfstate"',
      'region                      = "us-east-1"',
      `endpoints                   = { s3 = "http://127.0.0.1:${port}" }`,
      'use_path_style              = true',
      'skip_credentials_validation = true',
      'skip_requesting_account_id  = true',
      'max_retries                 = 0',
      '',
    ].join('\n'),
  );
  const backend = backendFromEnv({ DDB_INGEST_TF_BACKEND_CONFIG: file });
  expect(backend).toEqual({ type: 's3', configFile: file });
  expect(backendFromEnv({})).toEqual({ type: 'local' });
  const err: unknown = await terraformInit({
    ...opts,
    stateDir: path.join(work.dir, 's3-state'),
    backend,
  }).catch((e) => toCliError(e) ?? e);
  expect(err).toBeInstanceOf(RuntimeError);
  expect((err as RuntimeError).message).toMatch(/^terraform init failed:\nError: /);
  expect((err as RuntimeError).message).toContain('S3 bucket "ddb-ingest-state-test"');
  expect((err as RuntimeError).message).toContain(`127.0.0.1:${port}`);
}, 60_000);
