// Where a batch's time goes: runs the real handler (bundled from lambda/src
// with esbuild, as `up` does) in this process against a fresh DynamoDB Local,
// with a sink client that times every call: the handler before grouping
// (one transaction per record) and now, for several group sizes.
//   node bench/profile-handler.mjs [records]
// Prints records/s, round trips per record, and the time spent waiting on
// DynamoDB Local per call type.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { dist, freshDynamo, ROOT } from './lib.mjs';

const RECORDS = Number(process.argv[2]) || 1000;

/**
 * The handler's factory bundled from `lambda/src`, or from lambda/src as it
 * was at git revision `ref` (for a before/after).
 */
async function bundleHandlerFactory(ref) {
  const outDir = path.join(ROOT, 'node_modules', '.cache', 'ddb-ingest-bench', ref ?? 'current');
  await mkdir(outDir, { recursive: true });
  let src = path.join(ROOT, 'lambda/src');
  if (ref) {
    await rm(path.join(outDir, 'lambda'), { recursive: true, force: true });
    execFileSync('sh', ['-c', `git -C "${ROOT}" archive "${ref}" lambda/src | tar -x -C "${outDir}"`]);
    src = path.join(outDir, 'lambda/src');
  }
  const entry = path.join(outDir, 'entry.ts');
  await writeFile(
    entry,
    `export { createStreamHandler } from '${path.join(src, 'pipeline/handler.ts')}';\n` +
      `export { ordersDomain } from '${path.join(src, 'domain/orders.ts')}';\n` +
      `export { createKeySource } from '${path.join(src, 'pipeline/secretKey.ts')}';\n`,
  );
  const outfile = path.join(outDir, 'handler.mjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    packages: 'external',
    logLevel: 'error',
    nodePaths: [path.join(ROOT, 'node_modules')],
  });
  return import(pathToFileURL(outfile).href);
}

/** The handler before grouping: one TransactWriteItems per record, 16 keys in flight, one BatchGetItem per batch. */
export const BEFORE_REF = '4a02735';

/** Group sizes (actions per transaction) compared; 2 is one record per transaction. */
export const GROUP_SIZES = [2, 10, 32, 100];

/** Stream records in the wire form, straight from the table's stream. */
async function readRecords(db, count) {
  const [{ runSeed }, clients, { readStream }] = await Promise.all([
    dist('src/seed/index.js'),
    dist('src/aws/clients.js'),
    dist('src/streams/readStream.js'),
  ]);
  await runSeed({ client: db.client, tableName: db.tables.source, count, seed: 1, concurrency: 16 });
  const streams = await clients.createStreamsClient({
    region: 'us-east-1',
    endpoint: db.endpoint,
    credentials: clients.LOCAL_CREDENTIALS,
  });
  const records = [];
  const controller = new AbortController();
  for await (const page of readStream({
    client: streams,
    streamArn: db.tables.streamArn,
    from: { type: 'trim-horizon' },
    follow: false,
    signal: controller.signal,
  })) {
    records.push(...page.records);
    if (records.length >= count) break;
  }
  streams.destroy();
  return records.slice(0, count);
}

/** Records/s of the real handler in process, before grouping and for each group size, with DynamoDB time per call. */
export async function profileHandler(count = RECORDS) {
  const results = [];
  const current = await bundleHandlerFactory();
  const before = await bundleHandlerFactory(BEFORE_REF);
  const { ordersDomain, createKeySource } = current;
  const { Logger } = await import('@aws-lambda-powertools/logger');
  const { Metrics } = await import('@aws-lambda-powertools/metrics');
  const keyDir = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-key-'));
  const keyFile = path.join(keyDir, 'pii-key');
  await writeFile(keyFile, `${'ab'.repeat(32)}\n`, { mode: 0o600 });

  const variants = [
    {
      label: `before (${BEFORE_REF}: one transaction per record, 16 keys in flight)`,
      factory: before,
      options: { keyConcurrency: 16 },
    },
    ...GROUP_SIZES.map((groupSize) => ({
      label: `now, group size ${groupSize}`,
      factory: current,
      groupSize,
      options: { groupSize },
    })),
  ];
  for (const { label, factory, groupSize, options } of variants) {
    const db = await freshDynamo();
    try {
      const records = await readRecords(db, count);
      const spent = new Map();
      const ddb = {
        send: async (command) => {
          const t = performance.now();
          try {
            return await db.client.send(command);
          } finally {
            const name = command.constructor.name;
            const s = spent.get(name) ?? { calls: 0, ms: 0 };
            s.calls += 1;
            s.ms += performance.now() - t;
            spent.set(name, s);
          }
        },
      };
      const handler = factory.createStreamHandler({
        ddb,
        domain: ordersDomain,
        getKey: createKeySource(() => ({ keyFile })),
        logger: new Logger({ serviceName: 'profile', logLevel: 'INFO' }),
        metrics: new Metrics({ namespace: 'Profile', serviceName: 'profile' }),
        tableName: db.tables.sink,
        ...options,
      });
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = () => true; // the handler's log lines are not the point here
      // The first half warms DynamoDB Local's JIT and the handler up; the second half is measured.
      const warmUp = records.slice(0, Math.floor(records.length / 2));
      const measured = records.slice(warmUp.length);
      for (let i = 0; i < warmUp.length; i += 100) await handler({ Records: warmUp.slice(i, i + 100) });
      spent.clear();
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < measured.length; i += 100) await handler({ Records: measured.slice(i, i + 100) });
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      process.stdout.write = write;
      const calls = Object.fromEntries(
        [...spent].map(([k, v]) => [k, { calls: v.calls, avgMs: Number((v.ms / v.calls).toFixed(2)) }]),
      );
      const roundTrips = [...spent.values()].reduce((sum, v) => sum + v.calls, 0);
      results.push({
        label,
        ...(groupSize ? { groupSize } : {}),
        records: measured.length,
        recordsPerSecond: Math.round((measured.length * 1000) / wall),
        roundTripsPerRecord: Number((roundTrips / measured.length).toFixed(3)),
        handlerCpuMsPerRecord: Number(((cpu.user + cpu.system) / 1000 / measured.length).toFixed(3)),
        calls,
      });
    } finally {
      await db.stop();
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await profileHandler()) console.log(JSON.stringify(r));
  process.exit(0);
}
