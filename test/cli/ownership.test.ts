/**
 * One owner per state dir, nothing orphaned, nothing of the user's deleted:
 * two `up` at once start one pipeline, `down` leaves no process of the state
 * dir, a failed `up` leaves none, `down --purge` keeps the user's files.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readRegistry } from '../../src/targets/local/processRegistry.js';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';
import { processesOf } from '../helpers/pty.js';

test('two concurrent up: one pipeline, the second finds the stack up; down leaves no process; purge keeps the user file', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-owner-'));
  const stateDir = path.join(cwd, '.ddb-ingest');
  const port = await getFreePort();
  try {
    const [a, b] = await Promise.all([
      runCli(['up', '--port', String(port), '--json'], { cwd }),
      runCli(['up', '--port', String(port), '--json'], { cwd }),
    ]);
    expect({ a: a.exitCode, b: b.exitCode, errA: a.stderr, errB: b.stderr }).toMatchObject({ a: 0, b: 0 });
    const results = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(results.map((r) => r.alreadyRunning).sort()).toEqual([false, true]);
    expect(a.stderr + b.stderr).toMatch(/Waiting for another ddb-ingest up \(pid \d+\)/);

    const running = await processesOf(stateDir);
    expect(running.filter((p) => p.cmd.includes('runnerProcess'))).toHaveLength(1);
    expect(running.filter((p) => p.cmd.includes('DynamoDBLocal'))).toHaveLength(1);
    expect((await readRegistry(stateDir)).map((p) => p.role).sort()).toEqual(['dynamodb-local', 'runner']);

    // Options the running stack does not have are named, not silently dropped.
    const other = await runCli(['up', '--port', String(port + 1), '--persist'], { cwd });
    expect(other.exitCode).toBe(0);
    expect(other.stderr).toContain(`--port ${port + 1} (it runs on port ${port})`);
    expect(other.stderr).toContain('--persist (it keeps its data in memory)');
    expect(other.stderr).toMatch(/were not applied\. To change them: .*ddb-ingest.* down/);

    // A foreground pipeline beside the background one would process every record twice.
    const fg = await runCli(['--state-dir', stateDir, 'up', '--foreground'], { cwd });
    expect(fg.exitCode).toBe(1);
    expect(fg.stderr).toMatch(/already runs its event source mapping in the background \(pid \d+\)/);
    expect(fg.stderr).toContain(`--state-dir ${stateDir} down`);
    expect(fg.stderr).not.toMatch(/\n\s+at /);

    // Records through the pipeline, so checkpoints, logs and status files exist to be purged.
    const seed = await runCli(['seed', '--count', '30'], { cwd });
    expect({ code: seed.exitCode, stderr: seed.stderr }).toMatchObject({ code: 0 });
    await writeFile(path.join(stateDir, 'precious.txt'), 'mine');
    // Inside a directory the tool made: still the user's.
    await writeFile(path.join(stateDir, 'esm', 'notes.txt'), 'mine');
    // Named like the tool's own files (.json, .log) but not one of them: still the user's.
    await writeFile(path.join(stateDir, 'esm', 'mine.json'), '{}');
    await writeFile(path.join(stateDir, 'esm', 'debug.log'), 'mine');
    const down = await runCli(['down', '--purge'], { cwd });
    expect(down.exitCode).toBe(0);
    expect(down.stderr).toMatch(/Stopped event source mapping \(pid \d+\)/);
    expect(down.stderr).toMatch(/Stopped DynamoDB Local \(pid \d+\)/);
    expect(down.stderr).toContain(
      'Kept 4 entries ddb-ingest did not create: esm/debug.log, esm/mine.json, esm/notes.txt, precious.txt',
    );
    expect(await readFile(path.join(stateDir, 'precious.txt'), 'utf8')).toBe('mine');
    expect(await readFile(path.join(stateDir, 'esm', 'notes.txt'), 'utf8')).toBe('mine');
    // Nothing of what the stack wrote is left (a new kind of file must be named in manifest.ts TOOL_LAYOUT).
    expect((await readdir(stateDir)).sort()).toEqual(['esm', 'precious.txt']);
    expect((await readdir(path.join(stateDir, 'esm'))).sort()).toEqual([
      'debug.log',
      'mine.json',
      'notes.txt',
    ]);
    expect(existsSync(path.join(stateDir, 'local.json'))).toBe(false);
    expect(existsSync(path.join(stateDir, 'secrets'))).toBe(false);
    expect(await processesOf(stateDir)).toEqual([]);
    const again = await runCli(['down'], { cwd });
    expect(again.stderr).toContain('Nothing was running.');
  } finally {
    await runCli(['down'], { cwd });
  }
}, 180_000);

test('a failed up (a filter pattern the mapping refuses) exits 2 and leaves no process and no state', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-owner-fail-'));
  await writeFile(
    path.join(cwd, 'ddb-ingest.json'),
    JSON.stringify({ event_source_mapping: { filter_criteria: { filter: [{ pattern: '{bad' }] } } }),
  );
  const r = await runCli(['up', '--port', String(await getFreePort())], { cwd });
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain('Invalid filter pattern');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(await processesOf(path.join(cwd, '.ddb-ingest'))).toEqual([]);
  expect(existsSync(path.join(cwd, '.ddb-ingest', 'local.json'))).toBe(false);
});

test('a crashed up left DynamoDB Local behind: the next up finds it by pid and start time and stops it', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-owner-crash-'));
  const stateDir = path.join(cwd, '.ddb-ingest');
  const port = await getFreePort();
  try {
    const up = await runCli(['up', '--port', String(port)], { cwd });
    expect(up.exitCode).toBe(0);
    const state = JSON.parse(await readFile(path.join(stateDir, 'local.json'), 'utf8'));
    // As if `up` had died right after starting DynamoDB Local: the registry knows it, local.json does not.
    await writeFile(path.join(stateDir, 'local.json'), '{ half written');
    const next = await runCli(['up', '--port', String(await getFreePort())], { cwd });
    expect({ code: next.exitCode, stderr: next.stderr }).toMatchObject({ code: 0 });
    expect(next.stderr).toContain('Stopped what an earlier ddb-ingest left running:');
    expect(next.stderr).toContain(`DynamoDB Local (pid ${state.dynamodb.pid})`);
    const left = (await processesOf(stateDir)).map((p) => p.pid);
    expect(left).not.toContain(state.dynamodb.pid);
    expect(left).not.toContain(state.runner.pid);
  } finally {
    await runCli(['down', '--purge'], { cwd });
  }
  expect(await processesOf(stateDir)).toEqual([]);
}, 180_000);
