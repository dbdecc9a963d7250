/**
 * Ctrl-C in a real terminal (tmux): every long command stops within 2 s with
 * exit 130, says what it did, leaves nothing running that it started, and the
 * data stays consistent (verify is ok once the pipeline has caught up).
 */

import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';
import { processesOf, TerminalSession } from '../helpers/pty.js';

const WITHIN_MS = 2_000;

/** An HTTP proxy that holds every Scan for `delayMs`: a verify that is still scanning when Ctrl-C comes. */
async function slowScanProxy(target: string, delayMs: number) {
  const url = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = () => {
        const upstream = http.request(
          { host: url.hostname, port: url.port, path: req.url, method: req.method, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(Buffer.concat(chunks));
      };
      const slow = String(req.headers['x-amz-target'] ?? '').endsWith('.Scan');
      if (slow) setTimeout(forward, delayMs).unref();
      else forward();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function waitUntilCaughtUp(cwd: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = JSON.parse((await runCli(['status', '--json'], { cwd })).stdout);
    if (status.esm.caughtUp) return status;
    if (Date.now() > deadline) throw new Error(`never caught up: ${JSON.stringify(status.esm)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('Ctrl-C against a running stack', () => {
  let cwd: string;
  const sessions: TerminalSession[] = [];
  const session = async (args: string[]) => {
    const s = await TerminalSession.start(args, { cwd });
    sessions.push(s);
    return s;
  };
  beforeAll(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-interrupt-'));
    const up = await runCli(['up', '--port', String(await getFreePort())], { cwd });
    expect({ code: up.exitCode, stderr: up.stderr }).toMatchObject({ code: 0 });
  }, 120_000);
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.close();
  });
  afterAll(async () => {
    await runCli(['down', '--purge'], { cwd });
  }, 60_000);

  test('seed (through the re-exec launcher): exit 130 within 2 s, one line of what was written', async () => {
    const s = await session(['seed', '--count', '200000']);
    await s.waitFor(/insert +\[[#-]+\] +\d+% [\d,]+\/200,000 +[\d,]+ items\/s +ETA/);
    const r = await s.interrupt();
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(WITHIN_MS);
    // The graceful path (calls in flight cancelled), not the forced exit's "seed had written ...".
    expect(r.screen).toMatch(/interrupted: seed stopped after [\d,]+ inserted, 0 updated, 0 deleted/);
    expect(r.screen).not.toMatch(/\n\s+at /);
  }, 120_000);

  test('tail: exit 130 within 2 s, says how many records it showed', async () => {
    const s = await session(['tail', '--from', 'trim-horizon']);
    await s.waitFor(/INSERT/);
    const r = await s.interrupt();
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(WITHIN_MS);
    expect(r.screen).toMatch(/interrupted: [\d,]+ records? shown/);
  }, 60_000);

  test('verify while it scans: exit 130 within 2 s, nothing changed; once caught up, verify is ok', async () => {
    const status = JSON.parse((await runCli(['status', '--json'], { cwd })).stdout);
    const proxy = await slowScanProxy(status.endpoint, 10_000);
    try {
      const s = await session(['verify', '--endpoint-url', proxy.endpoint]);
      await s.waitFor(/Scanning/);
      await new Promise((r) => setTimeout(r, 300));
      const r = await s.interrupt();
      expect(r.code).toBe(130);
      expect(r.ms).toBeLessThan(WITHIN_MS);
      expect(r.screen).toContain(
        'interrupted: verify stopped before the end of the scan; nothing was changed.',
      );
    } finally {
      await proxy.close();
    }
    const idle = await waitUntilCaughtUp(cwd);
    expect(idle.esm.iteratorAgeMeasuredAt).toEqual(expect.any(String));
    const human = await runCli(['status'], { cwd });
    expect(human.stdout).toMatch(
      /esm {8}Enabled, caught up, .*iterator age [\d,]+ ms \(last batch, \d\d:\d\d:\d\d UTC\)/,
    );
    const verify = await runCli(['verify', '--json'], { cwd });
    expect({ code: verify.exitCode, stderr: verify.stderr }).toMatchObject({ code: 0 });
    expect(JSON.parse(verify.stdout).ok).toBe(true);
  }, 240_000);
});

test('up: Ctrl-C while it starts exits 130 within 2 s and leaves no process behind', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-interrupt-up-'));
  const s = await TerminalSession.start(['up', '--port', String(await getFreePort())], { cwd });
  try {
    await s.waitFor(/Starting DynamoDB Local/);
    await new Promise((r) => setTimeout(r, 500));
    const r = await s.interrupt();
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(WITHIN_MS);
    expect(r.screen).toMatch(/interrupted: up stopped/);
    // The last line agrees with the cleanup line: it says nothing was started only when nothing was.
    expect(r.screen).toMatch(
      /Stopped what this up had started: .*DynamoDB Local/.test(r.screen)
        ? /interrupted: up stopped; everything it had started is stopped again\./
        : /interrupted: up stopped before it started anything\./,
    );
    expect(await processesOf(path.join(cwd, '.ddb-ingest'))).toEqual([]);
    const status = JSON.parse((await runCli(['status', '--json'], { cwd })).stdout);
    expect(status.running).toBe(false);
  } finally {
    await s.close();
    await runCli(['down', '--purge'], { cwd });
  }
}, 120_000);

test('up --foreground: status sees it running; Ctrl-C exits 130 within 2 s and stops DynamoDB Local too', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-interrupt-fg-'));
  const stateDir = path.join(cwd, '.ddb-ingest');
  const s = await TerminalSession.start(['up', '--foreground', '--port', String(await getFreePort())], {
    cwd,
  });
  try {
    await s.waitFor(/Enabled {2}records 0 /, 90_000);
    const status = JSON.parse((await runCli(['status', '--json'], { cwd })).stdout);
    expect(status.esm.state).toBe('Enabled');
    expect(status.processes.runner).toEqual(expect.any(Number));
    // A second `up` finds the stack up and starts no second pipeline.
    const again = await runCli(['up'], { cwd });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('Local stack already up');
    expect((await processesOf(stateDir)).filter((p) => p.cmd.includes('runnerProcess'))).toEqual([]);
    const r = await s.interrupt();
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(WITHIN_MS);
    expect(r.screen).toMatch(
      /interrupted: the pipeline processed 0 records in 0 batches; stopped DynamoDB Local \(pid \d+\)/,
    );
    expect(await processesOf(stateDir)).toEqual([]);
  } finally {
    await s.close();
    await runCli(['down', '--purge'], { cwd });
  }
}, 150_000);
