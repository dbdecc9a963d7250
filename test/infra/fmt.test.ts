import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// `terraform fmt -check`, as the deploy workflow runs it on every pull request.
// Needs only the terraform binary (no providers, no init).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function fmtCheck(dir: string) {
  const result = spawnSync('terraform', ['fmt', '-check', '-recursive', '-diff', '-no-color', dir], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_DISABLE: '1' },
  });
  if (result.error) {
    throw new Error(
      `terraform could not be run (${result.error.message}): test/infra needs Terraform >= 1.5.`,
    );
  }
  return result;
}

test.each(['infra', 'test/fixtures/terraform'])('%s/ is formatted as `terraform fmt` writes it', (dir) => {
  const result = fmtCheck(dir);
  // On failure the diff says which file and what to change (`terraform fmt -recursive <dir>` fixes it).
  expect({ status: result.status, diff: result.stdout }).toEqual({ status: 0, diff: '' });
});

test('the check catches a misformatted file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-fmt-'));
  try {
    await writeFile(path.join(dir, 'main.tf'), 'variable "x" {\ntype=string\n}\n');
    const result = fmtCheck(dir);
    expect(result.status).toBe(3);
    expect(result.stdout).toContain('main.tf');
    expect(result.stdout).toContain('+  type = string');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
