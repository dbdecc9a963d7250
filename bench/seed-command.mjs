// seed as a user runs it: the whole `ddb-ingest seed --count N` command (node
// start, CLI load, generation, writes, exit), timed from spawn to exit,
// against the raw BatchWriteItem ceiling measured in the same run: the same
// orders pre-built in memory, written by the same BatchWriter with the same
// concurrency from this process. Each variant gets a fresh local stack (the
// default tables, stream on, no consumer running), so neither writes into a
// table the other has grown.
//   node bench/seed-command.mjs [count] [runs]
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { dynamodbLocalCpu, machineBusyCores } from './cpu.mjs';
import { alternateRuns, BIN, dist, rawWriteRate, round, SIZES, summarize, withStoringStack } from './lib.mjs';

const CONCURRENCY = 16;
const SEED = 42;

export async function prebuilt(count) {
  const [{ OrderFactory, toItem }, { createSeedFaker }] = await Promise.all([
    dist('src/seed/orders.js'),
    dist('src/seed/faker.js'),
  ]);
  const factory = new OrderFactory(await createSeedFaker(), SEED, count, true, Date.now());
  return Array.from({ length: count }, (_, i) => toItem(factory.order(i)));
}

/**
 * The raw ceiling: `items` written into `table` (default: the stack's source
 * table) of a fresh storing-only stack by seed's BatchWriter from this
 * process. bench/seed-template.mjs measures its ceiling with it too.
 */
export async function raw(items, table, cpu) {
  const clients = await dist('src/aws/clients.js');
  return withStoringStack(async (stack, up) => {
    const client = await clients.createDynamoDbClient({
      region: up.region,
      endpoint: up.endpoint,
      credentials: clients.LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    // With `cpu` (an object), the CPU ms per item of this process's writer and of DynamoDB Local go into it.
    const ddb = cpu ? dynamodbLocalCpu(await localState(stack)) : undefined;
    const machine = machineBusyCores();
    const own = process.cpuUsage();
    try {
      return await rawWriteRate(client, table ?? up.tables.source, items, CONCURRENCY);
    } finally {
      if (cpu && ddb) {
        const used = process.cpuUsage(own);
        cpu.writerMsPerItem = (used.user + used.system) / 1000 / items.length;
        cpu.dynamodbLocalMsPerItem = (ddb.stop() * 1000) / items.length;
        cpu.machineBusyCores = machine.stop();
      }
      client.destroy();
    }
  });
}

/** A running stack's local.json (the pids of DynamoDB Local and the runner). */
export async function localState(stack) {
  return JSON.parse(await readFile(path.join(stack.stateDir, 'local.json'), 'utf8'));
}

export async function command(count, env = {}) {
  return withStoringStack(async (stack) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [BIN, 'seed', '--count', String(count), '--seed', String(SEED), '--concurrency', String(CONCURRENCY)],
      { cwd: stack.dir, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`seed exited ${code}: ${err.slice(-500)}`);
    return (count * 1000) / (performance.now() - started);
  });
}

export async function benchSeedCommand(count = SIZES.seedCommandItems, runs = SIZES.runs) {
  const items = await prebuilt(count);
  const results = await alternateRuns(
    runs,
    [
      ['command', () => command(count)],
      ['raw', () => raw(items)],
    ],
    'seed command',
  );
  return {
    items: count,
    concurrency: CONCURRENCY,
    command: summarize(results.map((r) => round(r.command))),
    raw: summarize(results.map((r) => round(r.raw))),
    ratioCommandToRaw: summarize(results.map((r) => round(r.command / r.raw, 3))),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2]) || 30_000;
  const runs = Number(process.argv[3]) || 2;
  console.log(JSON.stringify(await benchSeedCommand(count, runs)));
  process.exit(0);
}
