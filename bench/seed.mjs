// seed: items/s of `seed` (faker data, generated as it goes) against the raw
// ceiling (the same orders pre-built in memory, the same BatchWriter and
// concurrency) and against one PutItem per item (same concurrency), each
// variant into a fresh in-memory DynamoDB Local; and the peak RSS of the
// `ddb-ingest seed` process for growing counts.
import { spawn } from 'node:child_process';
import {
  BIN,
  dist,
  freshDynamo,
  log,
  makeStackDir,
  rawWriteRate,
  round,
  SIZES,
  sleep,
  summarize,
  treePeakRssMb,
} from './lib.mjs';

const CONCURRENCY = 16;
const SEED = 42;

async function seedVariant(count) {
  const { runSeed } = await dist('src/seed/index.js');
  const db = await freshDynamo();
  try {
    const result = await runSeed({
      client: db.client,
      tableName: db.tables.source,
      count,
      seed: SEED,
      concurrency: CONCURRENCY,
    });
    return (result.inserted * 1000) / result.durationMs;
  } finally {
    await db.stop();
  }
}

async function buildRequests(count) {
  const [{ OrderFactory, toItem }, { Faker, en, base }] = await Promise.all([
    dist('src/seed/orders.js'),
    import('@faker-js/faker'),
  ]);
  const factory = new OrderFactory(new Faker({ locale: [en, base] }), SEED, count, true, Date.now());
  return Array.from({ length: count }, (_, i) => toItem(factory.order(i)));
}

async function rawVariant(items) {
  const db = await freshDynamo();
  try {
    return await rawWriteRate(db.client, db.tables.source, items, CONCURRENCY);
  } finally {
    await db.stop();
  }
}

async function putItemVariant(items) {
  const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
  const db = await freshDynamo();
  try {
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const Item = items[next++];
        await db.client.send(new PutItemCommand({ TableName: db.tables.source, Item }));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return (items.length * 1000) / (performance.now() - started);
  } finally {
    await db.stop();
  }
}

/** Orders generated per second on one core (no I/O): faker's default Mersenne Twister against the randomizer `seed` uses. */
async function generationRate(count) {
  const [{ OrderFactory, toItem }, { Faker, en, base }, { fastRandomizer }] = await Promise.all([
    dist('src/seed/orders.js'),
    import('@faker-js/faker'),
    dist('src/seed/faker.js'),
  ]);
  const rates = {};
  for (const [name, options] of [
    ['default', {}],
    ['fastRandomizer', { randomizer: fastRandomizer() }],
  ]) {
    const factory = new OrderFactory(
      new Faker({ locale: [en, base], ...options }),
      SEED,
      count,
      true,
      Date.now(),
    );
    for (let i = 0; i < 1000; i++) toItem(factory.order(i));
    const started = performance.now();
    for (let i = 0; i < count; i++) toItem(factory.order(i));
    rates[name] = Math.round((count * 1000) / (performance.now() - started));
  }
  return rates;
}

/** Runs `ddb-ingest seed --count n` against a storing-only stack and samples its memory every 50 ms. */
async function seedRss(stackDir, count) {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'seed', '--count', String(count), '--seed', '7', '--json'], {
    cwd: stackDir.dir,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  let peak = 0;
  const samples = [];
  const timer = setInterval(() => {
    const hwm = treePeakRssMb(child.pid);
    if (Number.isFinite(hwm)) {
      peak = Math.max(peak, hwm);
      samples.push(hwm);
    }
  }, 50);
  const code = await new Promise((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`seed --count ${count} exited ${code}`);
  const result = JSON.parse(out.trim().split('\n').pop());
  return {
    count,
    peakRssMb: round(peak, 1),
    seconds: round((performance.now() - started) / 1000, 1),
    itemsPerSecond: result.itemsPerSecond,
  };
}

export async function benchSeed() {
  const runs = [];
  const items = await buildRequests(SIZES.seedItems);
  for (let run = 0; run < SIZES.runs; run++) {
    // Rotate the order so no variant always gets the coldest JVM-free machine.
    const order = [
      ['seed', () => seedVariant(SIZES.seedItems)],
      ['raw', () => rawVariant(items)],
      ['putItem', () => putItemVariant(items)],
    ];
    for (let i = 0; i < run % 3; i++) order.push(order.shift());
    const result = {};
    for (const [name, fn] of order) {
      result[name] = await fn();
      log(`seed run ${run + 1}: ${name} ${Math.round(result[name])} items/s`);
    }
    runs.push(result);
  }
  const pick = (name) => summarize(runs.map((r) => r[name]));
  const generation = await generationRate(SIZES.seedItems);
  log(`seed generation: ${JSON.stringify(generation)}`);
  return {
    items: SIZES.seedItems,
    concurrency: CONCURRENCY,
    seed: pick('seed'),
    raw: pick('raw'),
    putItem: pick('putItem'),
    ratioSeedToRaw: summarize(runs.map((r) => r.seed / r.raw)),
    ratioPutItemToRaw: summarize(runs.map((r) => r.putItem / r.raw)),
    generationOrdersPerSecond: generation,
  };
}

/** Peak RSS of `ddb-ingest seed --count N` for the configured counts, each on a fresh storing-only stack. */
export async function benchSeedRss() {
  const rss = [];
  const stack = await makeStackDir({ esm: { enabled: false } });
  try {
    await stack.up();
    for (const count of SIZES.rssCounts) {
      rss.push(await seedRss(stack, count));
      log(`seed rss ${count}: ${JSON.stringify(rss.at(-1))}`);
      // A million items make DynamoDB Local's in-memory tables heavy: start clean.
      await stack.down();
      await sleep(500);
      if (count !== SIZES.rssCounts.at(-1)) await stack.up();
    }
  } finally {
    await stack.down();
  }
  return { rss };
}
