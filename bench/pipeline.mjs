// pipeline: end-to-end latency (source write -> sink write) at steady write
// rates, and drain throughput of a backlog, on a whole local stack started
// with `ddb-ingest up` (DynamoDB Local + local event source mapping + the
// handler bundle in the local runtime), default stack settings.
//
// Method. Each source write is a PutItem of a new order; the time its
// response arrives is recorded. The sink write time of the same order is the
// `timestamp` of the handler's own `record applied` log line, written right
// after its TransactWriteItems returned (Powertools, ms precision, same
// clock), read from the local runtime's log streams. Polling the sink with
// GetItem would add its own load and its poll interval to every figure.
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { dist, log, makeStackDir, percentile, round, SIZES, sleep, summarize } from './lib.mjs';

/** Incremental reader of the local runtime's log streams: orderId -> applied at (epoch ms). */
export function appliedLog(logDir) {
  const offsets = new Map();
  const applied = new Map();
  let partial = new Map();
  return {
    applied,
    async poll() {
      const files = await readdir(logDir).catch(() => []);
      for (const name of files.filter((f) => f.endsWith('.ndjson'))) {
        const file = path.join(logDir, name);
        const handle = await open(file, 'r');
        try {
          const { size } = await handle.stat();
          const from = offsets.get(file) ?? 0;
          if (size <= from) continue;
          const buffer = Buffer.alloc(size - from);
          await handle.read(buffer, 0, buffer.length, from);
          offsets.set(file, size);
          const text = (partial.get(file) ?? '') + buffer.toString('utf8');
          const lines = text.split('\n');
          partial.set(file, lines.pop() ?? '');
          for (const line of lines) {
            if (!line.includes('record applied')) continue;
            const event = JSON.parse(line);
            const message = JSON.parse(event.message);
            const key = message.record?.key;
            if (message.message === 'record applied' && key?.startsWith('ORDER#')) {
              applied.set(key.slice('ORDER#'.length), Date.parse(message.timestamp));
            }
          }
        } finally {
          await handle.close();
        }
      }
    },
    reset() {
      applied.clear();
      partial = new Map();
    },
  };
}

async function orderSource(count) {
  const [{ OrderFactory, toItem }, { Faker, en, base }] = await Promise.all([
    dist('src/seed/orders.js'),
    import('@faker-js/faker'),
  ]);
  const factory = new OrderFactory(
    new Faker({ locale: [en, base] }),
    Math.floor(Math.random() * 2 ** 31),
    count,
    false,
    Date.now(),
  );
  return (i) => toItem(factory.order(i));
}

/** Writes `rate` orders per second for `seconds`; returns orderId -> response time and the achieved rate. */
async function steadyWrites(client, table, rate, seconds) {
  const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
  const total = Math.round(rate * seconds);
  const make = await orderSource(total);
  const items = Array.from({ length: total }, (_, i) => make(i));
  const written = new Map();
  const inFlight = new Set();
  let errors = 0;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    while (inFlight.size >= 256) await Promise.race(inFlight);
    const item = items[i];
    const task = client
      .send(new PutItemCommand({ TableName: table, Item: item }))
      .then(
        () => written.set(item.orderId.S, Date.now()),
        () => {
          errors += 1;
        },
      )
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - t0) / 1000;
  return { written, achievedRate: written.size / elapsed, errors };
}

async function waitForSink(reader, keys, timeoutMs) {
  const ids = [...keys];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await reader.poll();
    if (ids.every((id) => reader.applied.has(id))) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

export async function latencyRun(stack, client, reader, rate, seconds = SIZES.latencySeconds) {
  reader.reset();
  const { written, achievedRate, errors } = await steadyWrites(client, stack.tables.source, rate, seconds);
  const complete = await waitForSink(reader, written.keys(), 300_000);
  const latencies = [];
  for (const [id, at] of written) {
    const applied = reader.applied.get(id);
    if (applied !== undefined) latencies.push(applied - at);
  }
  return {
    rate,
    writes: written.size,
    writeErrors: errors,
    achievedRate: round(achievedRate, 1),
    arrived: latencies.length,
    complete,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.length ? Math.max(...latencies) : null,
  };
}

async function waitProcessed(statusFile, n, timeoutMs) {
  const { readFile } = await import('node:fs/promises');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = JSON.parse(await readFile(statusFile, 'utf8').catch(() => '{}'));
    if ((status.recordsProcessed ?? 0) >= n) return status;
    if (Date.now() > deadline)
      throw new Error(`drain: ${status.recordsProcessed ?? 0} of ${n} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Stops the runner, seeds a backlog with the CLI, restarts the runner with `up` and times the drain. */
async function drainRun(stack, reader, records) {
  const { stopProcess } = await dist('src/targets/local/dynamodbLocal.js');
  const state = stack.state();
  await stopProcess(state.runner.pid, 35_000);
  await stack.run(['seed', '--count', String(records), '--json']);
  reader.reset();
  await reader.poll();
  reader.reset();
  const upStarted = Date.now();
  await stack.run(['up', '--port', String(stack.port)]);
  const upDone = Date.now();
  const status = await waitProcessed(path.join(stack.stateDir, 'esm', 'status.json'), records, 600_000);
  const converged = Date.now();
  await sleep(300);
  await reader.poll();
  const times = [...reader.applied.values()].filter((t) => t >= upStarted).sort((a, b) => a - b);
  const first = times[0];
  const last = times.at(-1);
  return {
    records,
    applied: times.length,
    batches: status.batchesInvoked,
    upSeconds: round((upDone - upStarted) / 1000, 1),
    wallSeconds: round((converged - upStarted) / 1000, 1),
    recordsPerSecond: round((times.length * 1000) / Math.max(1, last - first), 0),
  };
}

export async function benchPipeline() {
  // Where the time goes, measured in the same session: DynamoDB Local's own
  // ceiling for the handler's calls, and the handler alone in process.
  const { profileDdbLocal } = await import('./profile-ddblocal.mjs');
  const { profileHandler } = await import('./profile-handler.mjs');
  const ddbLocalCeiling = await profileDdbLocal(SIZES.profileRecords);
  log(`ddb local ceiling: ${JSON.stringify(ddbLocalCeiling)}`);
  const handlerInProcess = await profileHandler(SIZES.profileRecords);
  log(`handler in process: ${JSON.stringify(handlerInProcess)}`);
  const stack = await makeStackDir();
  const clients = await dist('src/aws/clients.js');
  try {
    const up = await stack.up();
    stack.tables = up.tables;
    const client = await clients.createDynamoDbClient({
      region: up.region,
      endpoint: up.endpoint,
      credentials: clients.LOCAL_CREDENTIALS,
      maxAttempts: 3,
    });
    const reader = appliedLog(path.join(stack.stateDir, 'logs'));
    try {
      // Warm-up: the runtime's cold start and the JIT are not steady state.
      await latencyRun(stack, client, reader, 50).catch(() => undefined);
      const latency = [];
      for (const rate of SIZES.latencyRates) {
        const runs = [];
        for (let run = 0; run < SIZES.runs; run++) {
          const result = await latencyRun(stack, client, reader, rate);
          log(`latency ${rate}/s run ${run + 1}: ${JSON.stringify(result)}`);
          runs.push(result);
        }
        const of = (k) => summarize(runs.map((r) => r[k]));
        latency.push({
          rate,
          runs,
          achievedRate: of('achievedRate'),
          p50: of('p50'),
          p95: of('p95'),
          p99: of('p99'),
          max: of('max'),
          complete: runs.every((r) => r.complete),
        });
      }
      const drains = [];
      for (let run = 0; run < SIZES.drainRuns; run++) {
        drains.push(await drainRun(stack, reader, SIZES.drainRecords));
        log(`drain run ${run + 1}: ${JSON.stringify(drains.at(-1))}`);
      }
      // The sink must equal the contract's projection of the source once drained.
      let verify = {};
      for (let attempt = 0; attempt < 5 && verify.ok !== true; attempt++) {
        if (attempt > 0) await sleep(2000);
        const out = await stack.run(['verify', '--json'], { allowFail: true });
        verify = JSON.parse(out.stdout.trim().split('\n').pop() || '{}');
      }
      log(`verify: ${JSON.stringify(verify).slice(0, 300)}`);
      return {
        settings:
          'default stack: batch_size 100, batching window 0, parallelization_factor 1, idle poll 250 ms',
        latencySeconds: SIZES.latencySeconds,
        latency,
        drain: {
          records: SIZES.drainRecords,
          runs: drains,
          recordsPerSecond: summarize(drains.map((d) => d.recordsPerSecond)),
          wallSeconds: summarize(drains.map((d) => d.wallSeconds)),
        },
        verifyOk: verify.ok === true,
        ddbLocalCeiling,
        handlerInProcess,
      };
    } finally {
      client.destroy();
    }
  } finally {
    await stack.down();
  }
}
