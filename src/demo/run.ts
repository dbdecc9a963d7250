import { createDynamoDbClient } from '../aws/clients.js';
import type { Stack } from '../config/stack.js';
import { runSeed, type SeedResult } from '../seed/index.js';
import { readRunnerStatus } from '../targets/local/pipeline.js';
import {
  localConnection,
  localUp,
  refuseExplicitEndpoint,
  requireLocalStack,
} from '../targets/local/stack.js';
import type { UpResult } from '../targets/types.js';
import { type Clock, systemClock } from '../util/time.js';
import { readLocalPiiKey } from '../verify/key.js';
import { type VerifyReport, verifySink } from '../verify/verify.js';
import { DemoError } from './errors.js';
import { percentile, probeLatency } from './probe.js';

/** What the demo does (`npm start` uses the defaults). */
export interface DemoOptions {
  stack: Stack;
  stackDir: string;
  stateDir: string;
  configFile?: string | undefined;
  /** DynamoDB Local's port. */
  port: number;
  /** An endpoint the user asked for: refused, the demo starts its own DynamoDB Local. */
  endpoint?: string | undefined;
  /** Orders to insert, then update and delete. */
  count: number;
  updates: number;
  deletes: number;
  seed?: number | undefined;
  /** Probe orders written one at a time after the backlog drained, for the latency figures. */
  probes: number;
  /** Give up waiting for the pipeline after this long. */
  timeoutMs: number;
  clock?: Clock | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((text: string) => void) | undefined;
}

export interface DemoSummary {
  up: UpResult;
  seed: SeedResult;
  /** Stream records the pipeline delivered during the demo. */
  records: number;
  batches: number;
  batchesFailed: number;
  discarded: number;
  /** Time from the first seed write until every change was in the sink. */
  ingestMs: number;
  latencyMs: { samples: number; p50: number | null; p99: number | null; max: number | null };
  verify: VerifyReport;
  wallMs: number;
}

/** up -> seed -> watch the pipeline drain -> probe latency -> verify. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const clock = options.clock ?? systemClock;
  const progress = options.onProgress ?? (() => {});
  refuseExplicitEndpoint(options.endpoint, 'demo');
  const started = clock.now();
  const up = await localUp(
    { stack: options.stack, stateDir: options.stateDir },
    {
      port: options.port,
      persist: false,
      stackDir: options.stackDir,
      configFile: options.configFile,
      onStep: progress,
      onNotice: progress,
      command: 'demo',
      signal: options.signal,
    },
  );
  const state = await requireLocalStack(options.stateDir);
  const client = await createDynamoDbClient({ ...localConnection(state), maxAttempts: 1 });
  try {
    const before = (await readRunnerStatus(options.stateDir)) ?? {
      recordsProcessed: 0,
      batchesInvoked: 0,
      batchesFailed: 0,
      recordsDiscarded: 0,
      recordsFiltered: 0,
    };
    const seedStarted = clock.now();
    const seed = await runSeed({
      client,
      tableName: options.stack.source_table.name,
      hashKey: options.stack.source_table.hash_key,
      count: options.count,
      updates: options.updates,
      deletes: options.deletes,
      seed: options.seed,
      clock,
      signal: options.signal,
      onProgress: (p) => progress(`Seeding: ${p.phase} ${p.done}/${p.total}`),
    });
    const expected = seed.inserted + seed.updated + seed.deleted;
    const deadline = clock.now() + options.timeoutMs;
    let now = await readRunnerStatus(options.stateDir);
    const handled = () =>
      (now?.recordsProcessed ?? 0) -
      before.recordsProcessed +
      (now?.recordsDiscarded ?? 0) -
      before.recordsDiscarded +
      (now?.recordsFiltered ?? 0) -
      before.recordsFiltered;
    while (handled() < expected) {
      options.signal?.throwIfAborted();
      if (clock.now() > deadline) {
        throw new DemoError(
          'demo.timeout',
          `The pipeline handled ${handled()} of ${expected} changes within ${options.timeoutMs / 1000} s.`,
          { details: { handled: handled(), expected } },
        );
      }
      progress(`Ingesting: ${handled()}/${expected} changes`);
      await clock.sleep(200);
      now = await readRunnerStatus(options.stateDir);
    }
    const ingestMs = clock.now() - seedStarted;
    // Totals before the probes, so the figures describe the seeded changes alone.
    const drained = (await readRunnerStatus(options.stateDir)) ?? now;
    progress(`Measuring end-to-end latency with ${options.probes} probe orders`);
    const { createSeedFaker } = await import('../seed/faker.js');
    const latencies = await probeLatency({
      client,
      sourceTable: options.stack.source_table.name,
      sinkTable: options.stack.sink_table.name,
      faker: await createSeedFaker(),
      count: options.probes,
      intervalMs: 50,
      timeoutMs: 10_000,
      clock,
      signal: options.signal,
    });
    progress('Verifying the sink against the source');
    const verify = await verifySink({
      client,
      sourceTable: options.stack.source_table.name,
      sinkTable: options.stack.sink_table.name,
      secretKey: await readLocalPiiKey(state.piiKeyFile),
    });
    return {
      up,
      seed,
      records: (drained?.recordsProcessed ?? 0) - before.recordsProcessed,
      batches: (drained?.batchesInvoked ?? 0) - before.batchesInvoked,
      batchesFailed: (drained?.batchesFailed ?? 0) - before.batchesFailed,
      discarded: (drained?.recordsDiscarded ?? 0) - before.recordsDiscarded,
      ingestMs,
      latencyMs: {
        samples: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.length ? Math.max(...latencies) : null,
      },
      verify,
      wallMs: clock.now() - started,
    };
  } finally {
    client.destroy();
  }
}
