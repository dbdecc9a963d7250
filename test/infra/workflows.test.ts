import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The GitHub Actions workflows: schema-valid according to a real validator
// (@action-validator/cli, a devDependency), and the supply-chain and
// credential rules docs/deployment.md promises, checked on the files as written.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const githubDir = path.join(root, '.github');
const workflowsDir = path.join(githubDir, 'workflows');
const validatorBin = path.join(root, 'node_modules', '.bin', 'action-validator');

const workflowFiles = readdirSync(workflowsDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const read = (file: string) => readFileSync(path.join(workflowsDir, file), 'utf8');

function validate(file: string) {
  if (!existsSync(validatorBin)) {
    throw new Error(
      `${validatorBin} is missing: the workflow validator is a devDependency (@action-validator/cli); run npm ci.`,
    );
  }
  const result = spawnSync(validatorBin, [file], { encoding: 'utf8' });
  if (result.error) throw result.error;
  return result;
}

/** A job: its id and its lines (everything indented under `  <id>:`). */
interface Job {
  id: string;
  body: string;
}

/**
 * The jobs of a workflow, split on the two-space-indented keys under the
 * top-level `jobs:` (the layout these files use; a job that does not follow it
 * fails the checks below rather than slipping through).
 */
function jobsOf(text: string): Job[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^jobs:\s*$/.test(l));
  if (start < 0) return [];
  const jobs: Job[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line) && !line.startsWith('#')) break;
    const head = /^ {2}([A-Za-z_][\w-]*):\s*$/.exec(line);
    if (head?.[1]) jobs.push({ id: head[1], body: '' });
    else if (jobs.length > 0) (jobs.at(-1) as Job).body += `${line}\n`;
  }
  return jobs;
}

/** `uses:` values with the rest of their line (the version comment). */
function usesOf(text: string): { ref: string; comment: string }[] {
  return [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)[ \t]*(.*)$/gm)].map((m) => ({
    ref: m[1] ?? '',
    comment: m[2] ?? '',
  }));
}

test('there are workflows to check, and the two the project relies on exist', () => {
  expect(workflowFiles).toEqual(expect.arrayContaining(['ci.yml', 'deploy.yml']));
});

test.each(workflowFiles)('%s is valid according to action-validator', (file) => {
  const result = validate(path.join(workflowsDir, file));
  expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({
    status: 0,
    output: '',
  });
});

test('the validator rejects a malformed workflow (it really validates)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-gha-'));
  try {
    const file = path.join(dir, 'broken.yml');
    await writeFile(
      file,
      'on: push\npermissions:\n  id-token: writ\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n',
    );
    const result = validate(file);
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain('/permissions');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.each(workflowFiles)('%s: every action is pinned to a full commit SHA with its version', (file) => {
  const uses = usesOf(read(file));
  expect(uses.length).toBeGreaterThan(0);
  const unpinned = uses.filter(
    (u) =>
      !u.ref.startsWith('./') &&
      !(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(u.ref) && /^# v\d+\.\d+\.\d+$/.test(u.comment)),
  );
  expect(unpinned).toEqual([]);
});

test('the same action is pinned to the same commit everywhere', () => {
  const byAction = new Map<string, Set<string>>();
  for (const file of workflowFiles) {
    for (const { ref, comment } of usesOf(read(file))) {
      const [action, sha] = ref.split('@');
      if (!action || !sha) continue;
      byAction.set(action, (byAction.get(action) ?? new Set()).add(`${sha} ${comment}`));
    }
  }
  const inconsistent = [...byAction].filter(([, pins]) => pins.size > 1);
  expect(inconsistent).toEqual([]);
});

test.each(workflowFiles)('%s: a top-level permissions block, one per job, never write-all', (file) => {
  const text = read(file);
  expect(text).toMatch(/^permissions:\s*(\{\}|\n {2}[\w-]+: (read|write|none))/m);
  const jobs = jobsOf(text);
  expect(jobs.length).toBeGreaterThan(0);
  expect(jobs.filter((j) => !/^ {4}permissions:/m.test(j.body)).map((j) => j.id)).toEqual([]);
  expect(text).not.toMatch(/write-all/);
  // The workflow-wide default grants nothing beyond reading the repository.
  const top = /^permissions:\n((?: {2}.*\n)+)/m.exec(text)?.[1] ?? '';
  expect(top.trim()).toBe('contents: read');
});

test('no long-lived AWS keys anywhere under .github/', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(githubDir);
  const offending = files.filter((f) =>
    /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|aws-access-key-id|aws-secret-access-key|AKIA[0-9A-Z]{16}/.test(
      readFileSync(f, 'utf8'),
    ),
  );
  expect(offending).toEqual([]);
});

test('AWS credentials come only from OIDC role assumption, and only jobs that assume a role get a token', () => {
  for (const file of workflowFiles) {
    for (const job of jobsOf(read(file))) {
      const assumesRole = job.body.includes('aws-actions/configure-aws-credentials@');
      const where = `${file}#${job.id}`;
      expect({ where, idToken: /^ {6}id-token: write/m.test(job.body) }).toEqual({
        where,
        idToken: assumesRole,
      });
      if (assumesRole) {
        expect({ where, roleToAssume: /^\s+role-to-assume: \$\{\{ vars\.\w+ \}\}$/m.test(job.body) }).toEqual(
          {
            where,
            roleToAssume: true,
          },
        );
      }
    }
  }
});

test('deploy.yml: the apply job runs on main in the production environment, one at a time, through OIDC', () => {
  const text = read('deploy.yml');
  expect(text).toMatch(/^ {2}push:\n {4}branches: \[main\]$/m);
  const apply = jobsOf(text).find((j) => j.id === 'apply');
  if (!apply) throw new Error('deploy.yml has no apply job');
  expect(apply.body).toMatch(/^ {4}if: .*github\.ref == 'refs\/heads\/main'/m);
  expect(apply.body).toMatch(/^ {4}environment: production$/m);
  expect(apply.body).toMatch(
    /^ {4}concurrency:\n {6}group: deploy-production\n {6}cancel-in-progress: false$/m,
  );
  expect(apply.body).toMatch(/^ {4}permissions:\n {6}contents: read\n {6}id-token: write/m);
  expect(apply.body).toMatch(/role-to-assume: \$\{\{ vars\.AWS_DEPLOY_ROLE_ARN \}\}$/m);
  expect(apply.body).toContain('node bin/ddb-ingest.js up --target aws --yes');

  // On pull requests: fmt, validate and the plan, published; never an apply.
  const checks = jobsOf(text).find((j) => j.id === 'terraform-checks');
  expect(checks?.body).toContain('terraform fmt -check -recursive');
  expect(checks?.body).toContain('validate');
  const plan = jobsOf(text).find((j) => j.id === 'plan');
  expect(plan?.body).toMatch(/^ {4}if: github\.event_name == 'pull_request'/m);
  expect(plan?.body).toContain('actions/upload-artifact@');
  expect(plan?.body).toContain('gh pr comment');
  expect(plan?.body).not.toMatch(/^[^#\n]*(--yes|terraform apply|-auto-approve)/m);
});

test('ci.yml runs npm ci and npm test on pull requests and main, with Java 17 and Terraform', () => {
  const text = read('ci.yml');
  expect(text).toMatch(/^on:\n {2}pull_request:\n {2}push:\n {4}branches: \[main\]$/m);
  expect(text).toContain('actions/setup-java@');
  expect(text).toMatch(/java-version: "17"/);
  expect(text).toContain('hashicorp/setup-terraform@');
  expect(text).toMatch(/- run: npm ci\b[^\n]*\n\n {6}- run: npm test$/m);
});

test('Dependabot keeps both the pinned actions and the npm packages current', () => {
  const text = readFileSync(path.join(githubDir, 'dependabot.yml'), 'utf8');
  expect(text).toMatch(/^version: 2$/m);
  expect(text).toMatch(/- package-ecosystem: github-actions\n {4}directory: \/$/m);
  expect(text).toMatch(/- package-ecosystem: npm\n {4}directory: \/$/m);
});
