import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Stack } from '../../src/config/stack.js';
import { type VerifyReport, verifySink } from '../../src/verify/verify.js';

/**
 * Iterations of the heavy cases. CI runs the default; `RELIABILITY_ITERATIONS=20
 * npm run test:reliability`-style runs go further (see docs/reliability.md).
 */
export const ITERATIONS = Math.max(1, Number(process.env.RELIABILITY_ITERATIONS ?? 3));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value, or throws what `describe` says after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  describe: () => string,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await sleep(intervalMs);
  }
}

/**
 * Waits until the pipeline has drained and the sink verifies ok. Returns the
 * report; on timeout the error carries the last report, so a failure shows
 * what was lost or wrong.
 */
export async function waitForConvergence(options: {
  client: DynamoDBClient;
  stack: Stack;
  secretKey: Buffer;
  timeoutMs?: number;
}): Promise<VerifyReport> {
  let last: VerifyReport | undefined;
  return waitFor(
    async () => {
      last = await verifySink({
        client: options.client,
        sourceTable: options.stack.source_table.name,
        sinkTable: options.stack.sink_table.name,
        secretKey: options.secretKey,
        segments: 2,
        buckets: 4,
      });
      return last.ok ? last : undefined;
    },
    options.timeoutMs ?? 90_000,
    () => `the sink did not converge: ${JSON.stringify(last)}`,
    1000,
  );
}

/** One line of figures per case, collected for docs/reliability.md. */
export function reportFigures(name: string, figures: Record<string, unknown>): void {
  process.stderr.write(`[reliability] ${name} ${JSON.stringify(figures)}\n`);
}
