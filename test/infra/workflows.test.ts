import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

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

/** A workflow as GitHub reads it (the YAML parsed, not matched line by line). */
interface Step {
  uses?: string;
  run?: string;
  if?: string;
  name?: string;
  with?: Record<string, unknown>;
}
interface ParsedJob {
  needs?: string | string[];
  if?: string;
  uses?: string;
  environment?: string | { name: string };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, ParsedJob>;
}
const parsed = (file: string) => parseYaml(read(file)) as Workflow;
const needsOf = (job: ParsedJob | undefined) =>
  job?.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
const stepIndex = (job: ParsedJob, match: (s: Step) => boolean) => (job.steps ?? []).findIndex(match);
/** A `${{ vars.NAME }}` expression. */
const ghVar = (name: string) => `\${{ vars.${name} }}`;
const action = (s: Step) => s.uses?.split('@')[0];

describe('deploy.yml', () => {
  const wf = parsed('deploy.yml');
  const { test: testJob, plan, apply } = wf.jobs;

  test('one workflow: the test job is ci.yml, called on every pull request and push to main', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    expect(wf.on.push).toEqual({ branches: ['main'] });
    expect(testJob?.uses).toBe('./.github/workflows/ci.yml');
    expect(testJob?.if).toBeUndefined();
    // ci.yml runs only when called (or by hand): no second, unconnected test run.
    expect(Object.keys(parsed('ci.yml').on).sort()).toEqual(['workflow_call', 'workflow_dispatch']);
  });

  test('plan and apply need the test job: nothing is planned or applied before npm test passes', () => {
    expect(needsOf(plan)).toEqual(expect.arrayContaining(['test', 'terraform-checks']));
    expect(needsOf(apply)).toEqual(expect.arrayContaining(['test', 'plan']));
    // Every job that touches AWS is downstream of the tests.
    for (const [id, job] of Object.entries(wf.jobs)) {
      const assumesRole = (job.steps ?? []).some(
        (s) => action(s) === 'aws-actions/configure-aws-credentials',
      );
      if (assumesRole)
        expect({ id, needsTest: needsOf(job).includes('test') }).toEqual({ id, needsTest: true });
    }
  });

  test('the production environment gates the apply job only, on main only', () => {
    const gated = Object.entries(wf.jobs).filter(([, j]) => j.environment !== undefined);
    expect(gated.map(([id, j]) => [id, j.environment])).toEqual([['apply', 'production']]);
    expect(apply?.if).toBe("github.event_name != 'pull_request' && github.ref == 'refs/heads/main'");
    // The plan on main runs before the approval, with the read-only role: reviewers see it first.
    expect(plan?.if).toContain("github.ref == 'refs/heads/main'");
    const planRole = plan?.steps?.find((s) => action(s) === 'aws-actions/configure-aws-credentials');
    expect(planRole?.with?.['role-to-assume']).toBe(ghVar('AWS_PLAN_ROLE_ARN'));
    const applyRole = apply?.steps?.find((s) => action(s) === 'aws-actions/configure-aws-credentials');
    expect(applyRole?.with?.['role-to-assume']).toBe(ghVar('AWS_DEPLOY_ROLE_ARN'));
  });

  test('the plan job saves the plan and applies nothing; it uploads the binary plan, its text and the bundle', () => {
    const runs = (plan?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('node bin/ddb-ingest.js up --target aws --plan-only');
    expect(runs).toContain('show -no-color ../plan.tfplan > .ddb-ingest/terraform/plan.txt');
    expect(runs).not.toMatch(/--yes|terraform apply|-auto-approve|--plan-file/);
    const upload = plan?.steps?.find((s) => action(s) === 'actions/upload-artifact');
    expect(upload?.with?.name).toBe('terraform-plan');
    expect(String(upload?.with?.path).trim().split('\n').sort()).toEqual([
      '.ddb-ingest/build/function.zip',
      '.ddb-ingest/terraform/plan.tfplan',
      '.ddb-ingest/terraform/plan.txt',
    ]);
    // The files sit under a dot-directory, which upload-artifact skips unless told.
    expect(upload?.with?.['include-hidden-files']).toBe(true);
    expect(upload?.with?.['if-no-files-found']).toBe('error');
    expect(runs).toContain('>> "$GITHUB_STEP_SUMMARY"');
    const comment = plan?.steps?.find((s) => s.run?.includes('gh pr comment'));
    expect(comment?.if).toBe("github.event_name == 'pull_request'");
  });

  test('the apply job downloads that artifact and applies exactly that plan file, never a new plan', () => {
    if (!apply) throw new Error('deploy.yml has no apply job');
    const download = stepIndex(apply, (s) => action(s) === 'actions/download-artifact');
    const applyStep = stepIndex(apply, (s) => /up --target aws --plan-file/.test(s.run ?? ''));
    expect(download).toBeGreaterThanOrEqual(0);
    expect(apply.steps?.[download]?.with).toEqual({ name: 'terraform-plan', path: '.ddb-ingest' });
    expect(applyStep).toBeGreaterThan(download);
    expect(apply.steps?.[applyStep]?.run).toBe(
      'node bin/ddb-ingest.js up --target aws --plan-file .ddb-ingest/terraform/plan.tfplan --yes',
    );
    // Nothing in the apply job can make a plan of its own.
    const runs = (apply.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(runs).not.toMatch(/terraform (plan|apply)|--plan-only|-auto-approve/);
    expect(runs.match(/ddb-ingest\.js up /g)).toHaveLength(1);
  });

  test('terraform validate installs providers against the committed lock file only', () => {
    const checks = wf.jobs['terraform-checks'];
    const runs = (checks?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('terraform fmt -check -recursive');
    expect(runs).toContain('-lockfile=readonly');
    expect(runs).toContain('terraform -chdir=infra validate');
  });

  test('the apply job runs one at a time through OIDC and is never cancelled half-way', () => {
    const text = read('deploy.yml');
    const body = jobsOf(text).find((j) => j.id === 'apply')?.body ?? '';
    expect(body).toMatch(/^ {4}concurrency:\n {6}group: deploy-production\n {6}cancel-in-progress: false$/m);
    expect(body).toMatch(/^ {4}permissions:\n {6}contents: read\n {6}id-token: write/m);
  });
});

test('every action runs on node24 (the pinned commits are the current majors)', () => {
  // The runtime each pinned release declares in its action.yml, checked when the SHA was pinned
  // (docs/deployment.md, "Pinned actions"); a pin to an older major fails here.
  const majors: Record<string, string> = {
    'actions/checkout': 'v7',
    'actions/setup-node': 'v7',
    'actions/setup-java': 'v5',
    'hashicorp/setup-terraform': 'v4',
    'aws-actions/configure-aws-credentials': 'v6',
    'actions/upload-artifact': 'v7',
    'actions/download-artifact': 'v8',
  };
  const seen = workflowFiles.flatMap((f) => usesOf(read(f))).filter((u) => !u.ref.startsWith('./'));
  const wrong = seen.filter((u) => {
    const major = majors[u.ref.split('@')[0] ?? ''];
    return major === undefined || !u.comment.startsWith(`# ${major}.`);
  });
  expect(wrong).toEqual([]);
});

test('the provider lock file is committed, not ignored, and pins linux_amd64 hashes', () => {
  const lock = readFileSync(path.join(root, 'infra', '.terraform.lock.hcl'), 'utf8');
  expect(lock).toMatch(/provider "registry\.terraform\.io\/hashicorp\/aws" \{\n\s+version\s+= "5\.\d+\.\d+"/);
  expect(lock).toMatch(/"h1:[A-Za-z0-9+/=]{44}"/);
  const ignored = spawnSync('git', ['check-ignore', '-q', 'infra/.terraform.lock.hcl'], { cwd: root });
  expect(ignored.status).toBe(1); // 1: not ignored
});

test('ci.yml runs npm ci and npm test, with Java 17 and Terraform', () => {
  const text = read('ci.yml');
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
