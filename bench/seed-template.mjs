// seed --template: the whole `ddb-ingest seed --table T --template file.json`
// command (node start, CLI load, DescribeTable, generation on the generator
// thread, writes, exit) against the raw BatchWriteItem ceiling measured in the
// same run (the same template items pre-built in memory, written by the same
// BatchWriter with the same concurrency from this process), each on a fresh
// storing-only local stack; then the command's peak RSS for a large count.
// The template is examples/templates/orders.json into the default source table.
// On a shared machine, BENCH_TEMPLATE_ITEMS and BENCH_TEMPLATE_RSS_COUNT make
// the two counts smaller (the report says so); BENCH_TEMPLATE_ORDERS=1 adds the
// built-in orders seed at the large count as a memory control.
//   node bench/seed-template.mjs [ratioCount] [rssCount] [runs]
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { dynamodbLocalCpu, treeCpuMeter } from './cpu.mjs';
import {
  alternateRuns,
  BIN,
  dist,
  log,
  ROOT,
  round,
  SIZES,
  summarize,
  treePeakRssMb,
  withStoringStack,
} from './lib.mjs';
import { localState, raw } from './seed-command.mjs';

const CONCURRENCY = 16;
const SEED = 42;
const TEMPLATE = path.join(ROOT, 'examples', 'templates', 'orders.json');
const TABLE = 'ddb-ingest-orders';
const KEYS = { hash: { name: 'orderId', type: 'S' } };

/** The template's first `count` items, exactly as the command generates them. */
async function prebuilt(count) {
  const [{ readTemplate }, { TemplateFactory }, { createSeedFaker }] = await Promise.all([
    dist('src/seed/template.js'),
    dist('src/seed/templateItems.js'),
    dist('src/seed/faker.js'),
  ]);
  const template = await readTemplate(TEMPLATE);
  const factory = new TemplateFactory(
    { template, keys: KEYS },
    await createSeedFaker(),
    await createSeedFaker(),
    {
      seed: SEED,
      reproducible: true,
      now: Date.now(),
    },
  );
  return Array.from({ length: count }, (_, i) => factory.item(i, false));
}

/** Runs `seed --template` (or, `orders`, the built-in orders seed) to its exit, sampling the process tree's peak RSS every 50 ms. */
async function command(count, { orders = false } = {}) {
  return withStoringStack(async (stack) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        BIN,
        'seed',
        ...(orders ? [] : ['--table', TABLE, '--template', TEMPLATE]),
        '--count',
        String(count),
        '--seed',
        String(SEED),
        '--concurrency',
        String(CONCURRENCY),
        '--json',
      ],
      { cwd: stack.dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    let peak = 0;
    const cpu = treeCpuMeter(child.pid);
    const ddb = dynamodbLocalCpu(await localState(stack));
    const timer = setInterval(() => {
      const hwm = treePeakRssMb(child.pid);
      if (Number.isFinite(hwm)) peak = Math.max(peak, hwm);
      cpu.sample();
    }, 50);
    const code = await new Promise((resolve) => child.on('close', resolve));
    clearInterval(timer);
    const ddbSeconds = ddb.stop();
    if (code !== 0) throw new Error(`seed --template exited ${code}: ${err.slice(-500)}`);
    const result = JSON.parse(out.trim().split('\n').pop());
    if (result.inserted !== count) throw new Error(`seed --template inserted ${result.inserted} of ${count}`);
    const seconds = (performance.now() - started) / 1000;
    return {
      itemsPerSecond: count / seconds,
      peakRssMb: round(peak, 1),
      seconds: round(seconds, 1),
      // The last 50 ms before each process exits are not seen: a few ms in a run of tens of seconds.
      commandMsPerItem: (cpu.seconds() * 1000) / count,
      dynamodbLocalMsPerItem: (ddbSeconds * 1000) / count,
    };
  });
}

export async function benchSeedTemplate(
  ratioCount = Number(process.env.BENCH_TEMPLATE_ITEMS) || SIZES.templateRatioItems,
  rssCount = Number(process.env.BENCH_TEMPLATE_RSS_COUNT) || SIZES.rssCounts.at(-1),
  runs = SIZES.templateRuns,
) {
  const items = await prebuilt(ratioCount);
  // What each variant costs in CPU per item, this side and in DynamoDB Local: on two cores, where
  // DynamoDB Local alone keeps them busy, the ratio cannot beat the CPU the command adds.
  const cpu = { command: [], raw: [] };
  const results = await alternateRuns(
    runs,
    [
      [
        'command',
        async () => {
          const run = await command(ratioCount);
          cpu.command.push(run);
          return run.itemsPerSecond;
        },
      ],
      [
        'raw',
        async () => {
          const used = {};
          const rate = await raw(items, TABLE, used);
          cpu.raw.push(used);
          return rate;
        },
      ],
    ],
    'seed-template',
  );
  const ms = (runs, key) => summarize(runs.map((r) => round(r[key], 3)));
  const large = await command(rssCount);
  log(`seed-template ${rssCount} items: ${JSON.stringify(large)}`);
  // With BENCH_TEMPLATE_ORDERS=1, the built-in orders seed at the same count as a control (the machine's
  // state moves RSS by tens of MB); off by default, as it doubles the benchmark's time.
  const orders =
    process.env.BENCH_TEMPLATE_ORDERS === '1' ? await command(rssCount, { orders: true }) : undefined;
  if (orders) log(`seed (orders) ${rssCount} items: ${JSON.stringify(orders)}`);
  return {
    template: path.relative(ROOT, TEMPLATE),
    items: ratioCount,
    concurrency: CONCURRENCY,
    command: summarize(results.map((r) => round(r.command))),
    raw: summarize(results.map((r) => round(r.raw))),
    ratioCommandToRaw: summarize(results.map((r) => round(r.command / r.raw, 3))),
    cpuMsPerItem: {
      command: ms(cpu.command, 'commandMsPerItem'),
      commandDynamodbLocal: ms(cpu.command, 'dynamodbLocalMsPerItem'),
      rawWriter: ms(cpu.raw, 'writerMsPerItem'),
      rawDynamodbLocal: ms(cpu.raw, 'dynamodbLocalMsPerItem'),
      rawMachineBusyCores: ms(cpu.raw, 'machineBusyCores'),
      cores: os.cpus().length,
    },
    rss: {
      count: rssCount,
      peakRssMb: large.peakRssMb,
      seconds: large.seconds,
      itemsPerSecond: round(large.itemsPerSecond),
      ...(orders ? { ordersPeakRssMb: orders.peakRssMb } : {}),
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ratioCount = Number(process.argv[2]) || 100_000;
  const rssCount = Number(process.argv[3]) || 1_000_000;
  const runs = Number(process.argv[4]) || 2;
  console.log(JSON.stringify(await benchSeedTemplate(ratioCount, rssCount, runs)));
  process.exit(0);
}
