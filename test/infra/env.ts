import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yazl from 'yazl';
import { defaultInfraDir } from '../../src/targets/aws/vars.js';

/**
 * These tests run the real Terraform binary with the real AWS provider from a
 * filesystem mirror. A missing binary or mirror is a broken test machine, not
 * a reason to skip: fail with what to set.
 */
export function requireTerraform(): { pluginDir: string; infraDir: string } {
  const pluginDir = process.env.TF_PLUGIN_DIR;
  if (!pluginDir) {
    throw new Error(
      'TF_PLUGIN_DIR is not set: export the provider mirror (the parent of registry.terraform.io/, e.g. /opt/tf-plugins) before running test/infra.',
    );
  }
  if (!statSync(path.join(pluginDir, 'registry.terraform.io'), { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(
      `TF_PLUGIN_DIR=${pluginDir} has no registry.terraform.io/ folder: not a provider mirror.`,
    );
  }
  const version = spawnSync('terraform', ['version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error('terraform is not on the PATH: test/infra needs Terraform >= 1.5.');
  }
  return { pluginDir, infraDir: defaultInfraDir() };
}

/** Fake credentials and region: nothing may reach AWS. */
export const OFFLINE_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
  AWS_SECRET_ACCESS_KEY: 'fake-secret-for-offline-plans',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

export const FAKE_ACCOUNT_ID = '123456789012';

/** A temp dir with a tiny handler bundle (Terraform hashes it; nothing runs it). */
export async function makeWorkDir(): Promise<{ dir: string; zip: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-infra-'));
  const zip = path.join(dir, 'function.zip');
  const zipfile = new yazl.ZipFile();
  zipfile.addBuffer(
    Buffer.from('export const handler = async () => ({ batchItemFailures: [] });\n'),
    'index.mjs',
  );
  zipfile.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zipfile.outputStream) chunks.push(chunk as Buffer);
  await writeFile(zip, Buffer.concat(chunks));
  return { dir, zip };
}
