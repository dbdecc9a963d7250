/**
 * The state dir's owner lock, the manifest of what the tool created, the
 * state dir checks and process identities, without DynamoDB Local.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TargetError } from '../../src/targets/errors.js';
import { LOCK_FILE, lockStateDir } from '../../src/targets/local/lock.js';
import { claimEntries, MANIFEST_FILE, purgeStateDir } from '../../src/targets/local/manifest.js';
import { prepareStateDir, writeError } from '../../src/targets/local/stateDir.js';
import { isPidAlive, isSameProcess, processStartTime, stopProcess } from '../../src/util/processes.js';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'state-dir-'));

function sleeper() {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('could not start sleep');
  return child.pid;
}

describe('process identity', () => {
  test('a live process has a start time; a recorded pid with another start time is not the same process', async () => {
    const pid = sleeper();
    try {
      const startTime = processStartTime(pid);
      expect(startTime).toMatch(/^(ticks|ps):/);
      expect(isSameProcess({ pid, startTime })).toBe(true);
      expect(isSameProcess({ pid, startTime: 'ticks:1' })).toBe(false);
    } finally {
      await stopProcess(pid);
    }
    expect(isPidAlive(pid)).toBe(false);
    expect(isSameProcess({ pid })).toBe(false);
  });
});

describe('lockStateDir', () => {
  test('a second holder waits, then fails naming the holder; release lets it in', async () => {
    const dir = await tmp();
    const holder = sleeper();
    try {
      await writeFile(
        path.join(dir, LOCK_FILE),
        JSON.stringify({ pid: holder, startTime: processStartTime(holder), command: 'up', since: 'now' }),
      );
      const waited: number[] = [];
      const started = Date.now();
      const err = await lockStateDir(dir, {
        command: 'down',
        waitMs: 400,
        pollMs: 50,
        onWait: (h) => waited.push(h.pid),
      }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(err).toBeInstanceOf(TargetError);
      expect((err as TargetError).code).toBe('targets.state-dir-busy');
      expect((err as Error).message).toContain(`Another ddb-ingest up (pid ${holder}`);
      expect(waited).toEqual([holder]);
    } finally {
      await stopProcess(holder);
    }
    // The holder is gone: its lock is stale and taken over at once.
    const lock = await lockStateDir(dir, { command: 'up', waitMs: 0 });
    const record = JSON.parse(await readFile(path.join(dir, LOCK_FILE), 'utf8'));
    expect(record).toMatchObject({ pid: process.pid, command: 'up' });
    await lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  test('a lock naming a live pid with another start time (a reused pid) is stale', async () => {
    const dir = await tmp();
    const other = sleeper();
    try {
      await writeFile(
        path.join(dir, LOCK_FILE),
        JSON.stringify({ pid: other, startTime: 'ticks:1', command: 'up', since: 'then' }),
      );
      const lock = await lockStateDir(dir, { command: 'up', waitMs: 0 });
      await lock.release();
      expect(isPidAlive(other)).toBe(true); // never touched
    } finally {
      await stopProcess(other);
    }
  });

  test('Ctrl-C while waiting stops waiting', async () => {
    const dir = await tmp();
    const holder = sleeper();
    try {
      await writeFile(
        path.join(dir, LOCK_FILE),
        JSON.stringify({ pid: holder, startTime: processStartTime(holder), command: 'up', since: 'now' }),
      );
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await expect(
        lockStateDir(dir, { command: 'up', signal: controller.signal, pollMs: 20 }),
      ).rejects.toThrow();
    } finally {
      await stopProcess(holder);
    }
  });
});

describe('purge by manifest', () => {
  test("deletes what the tool created, newest first, and keeps and names the user's files", async () => {
    const root = await tmp();
    const dir = path.join(root, 'state');
    await mkdir(dir);
    await mkdir(path.join(dir, 'logs')); // the user's own logs/ from before
    await writeFile(path.join(dir, 'logs', 'mine.log'), 'mine');
    await claimEntries(dir, { createdDir: false });
    for (const d of ['esm', 'secrets', 'build']) await mkdir(path.join(dir, d));
    await writeFile(path.join(dir, 'local.json'), '{}');
    await writeFile(path.join(dir, 'esm', 'checkpoints.json'), '{}');
    await writeFile(path.join(dir, 'precious.txt'), 'keep me');
    await mkdir(path.join(dir, 'src'));
    const result = await purgeStateDir(dir);
    expect(result.removed).toEqual(expect.arrayContaining(['esm', 'secrets', 'build', 'local.json']));
    expect(result.removed).not.toContain('logs');
    expect(result.kept).toEqual(['logs', 'precious.txt', 'src']);
    expect(result.dirRemovable).toBe(false);
    expect(await readFile(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
    expect(existsSync(path.join(dir, 'logs', 'mine.log'))).toBe(true);
    expect(existsSync(path.join(dir, MANIFEST_FILE))).toBe(false);
  });

  test("a user's file inside a tool-made directory stays, with the directories that hold it", async () => {
    const root = await tmp();
    const dir = path.join(root, 'state');
    await mkdir(dir);
    await claimEntries(dir, { createdDir: true });
    const files: Record<string, string> = {
      'esm/checkpoints.json': '{}',
      'esm/checkpoints.json.tmp': '{}',
      'esm/status.json': '{}',
      'esm/runner.log': 'log',
      'esm/orders-ingest/checkpoints.json': '{}',
      'dlq/2026-01-02T03-04-05.678Z-abc.json': '{}',
      'logs/2026_01_02___LATEST_abc.ndjson': '{}',
      'build/handler.mjs': 'x',
      'build/handler.mjs.map': '{}',
      'build/function.zip': 'zip',
      'build/manifest.json': '{}',
      'build/.staging-x1/handler.mjs': 'x',
      'secrets/pii-key': 'k',
      'data/shared-local-instance.db': 'db',
      'terraform/module/main.tf': '',
      'terraform/data/providers/x': '',
      'terraform/terraform.tfstate': '{}',
      'terraform/plan.tfplan': '',
      // the user's
      'esm/notes.txt': 'mine',
      'esm/mine.json': 'mine',
      'esm/mine/keep.md': 'mine',
      'logs/summary.csv': 'mine',
      'terraform/module/README.md': 'mine',
    };
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), text);
    }
    await writeFile(path.join(dir, 'local.json'), '{}');
    const result = await purgeStateDir(dir);
    expect(result.kept).toEqual([
      'esm/mine.json',
      'esm/mine/keep.md',
      'esm/notes.txt',
      'logs/summary.csv',
      'terraform/module/README.md',
    ]);
    expect(result.removed).toEqual(expect.arrayContaining(['dlq', 'build', 'secrets', 'data', 'local.json']));
    expect(result.removed).not.toEqual(expect.arrayContaining(['esm']));
    expect(result.dirRemovable).toBe(false);
    for (const kept of result.kept) expect(await readFile(path.join(dir, kept), 'utf8')).toBe('mine');
    // Everything of the tool's is gone, empty tool directories too.
    expect((await readdir(path.join(dir, 'esm'))).sort()).toEqual(['mine', 'mine.json', 'notes.txt']);
    expect(await readdir(path.join(dir, 'terraform'))).toEqual(['module']);
    expect(await readdir(path.join(dir, 'terraform', 'module'))).toEqual(['README.md']);
    expect(existsSync(path.join(dir, 'esm', 'orders-ingest'))).toBe(false);
    expect((await readdir(dir)).sort()).toEqual(['esm', 'logs', 'terraform']);
  });

  test('a state dir the tool made and holds nothing else may go', async () => {
    const root = await tmp();
    const dir = path.join(root, 'state');
    const { created } = await prepareStateDir(dir);
    expect(created).toBe(true);
    await claimEntries(dir, { createdDir: created });
    await writeFile(path.join(dir, 'local.json'), '{}');
    expect(await purgeStateDir(dir)).toMatchObject({ removed: ['local.json'], kept: [], dirRemovable: true });
  });
});

describe('prepareStateDir', () => {
  const code = (err: unknown) => (err as TargetError).code;

  test('a file, a path through a file, /proc: typed errors within 5 s, nothing created', async () => {
    const root = await tmp();
    const file = path.join(root, 'a-file');
    await writeFile(file, 'x');
    const started = Date.now();
    expect(code(await prepareStateDir(file).catch((e) => e))).toBe('targets.state-dir-not-a-directory');
    expect(code(await prepareStateDir(path.join(file, 'sub')).catch((e) => e))).toBe(
      'targets.state-dir-not-a-directory',
    );
    expect(code(await prepareStateDir('/proc/ddb-ingest-x').catch((e) => e))).toBe(
      'targets.state-dir-virtual-filesystem',
    );
    expect(code(await prepareStateDir('/sys/x/y').catch((e) => e))).toBe(
      'targets.state-dir-virtual-filesystem',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test.each([
    ['EACCES', 'targets.state-dir-not-writable', 'permission denied'],
    ['EROFS', 'targets.state-dir-not-writable', 'read-only'],
    ['ENOSPC', 'targets.state-dir-not-writable', 'disk is full'],
    ['ENOTDIR', 'targets.state-dir-not-a-directory', 'a part of its path is a file'],
  ])('%s from the filesystem reads as %s', (errno, expected, words) => {
    const err = writeError('/some/dir', Object.assign(new Error(errno), { code: errno }), 'written');
    expect(code(err)).toBe(expected);
    expect(err.message).toContain(words);
    expect(err.message).toContain('/some/dir');
  });
});
