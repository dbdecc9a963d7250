/**
 * The mapping's read-ahead seen from outside: a slow handler that writes down
 * each batch it is given, the real CLI and background runner, and kill -9 of
 * the runner while a batch is in flight. Every record arrives in stream order;
 * after the restart only the batch that was in flight comes again (what was
 * read ahead but not delivered is not a redelivery); nothing is lost.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../../src/aws/clients.js';
import { isProcessAlive } from '../../src/targets/local/dynamodbLocal.js';
import { localConnection } from '../../src/targets/local/stack.js';
import { type LocalState, readLocalState } from '../../src/targets/local/state.js';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';
import { waitFor } from './support.js';

const RECORDS = 60;
const BATCH = 10;
let cwd: string;
let trace: string;

// Writes "start <seq,...>" before it works and "end <seq,...>" after, so the
// test sees which batch was in flight when the runner died.
const HANDLER = `
import { appendFileSync } from 'node:fs';
export const handler = async (event) => {
  const seqs = event.Records.map((r) => r.dynamodb.SequenceNumber).join(',');
  appendFileSync(process.env.TRACE_FILE, 'start ' + seqs + '\\n');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  appendFileSync(process.env.TRACE_FILE, 'end ' + seqs + '\\n');
  return { batchItemFailures: [] };
};
`;

async function lines(kind: 'start' | 'end'): Promise<string[][]> {
  const text = await readFile(trace, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${kind} `))
    .map((l) => l.slice(kind.length + 1).split(','));
}

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'reliability-read-ahead-'));
  trace = path.join(cwd, 'trace.txt');
  await writeFile(path.join(cwd, 'slow.mjs'), HANDLER);
  await writeFile(
    path.join(cwd, 'ddb-ingest.json'),
    JSON.stringify({
      function: { entry: 'slow.mjs', environment: { TRACE_FILE: trace } },
      event_source_mapping: { batch_size: BATCH },
    }),
  );
});

afterAll(async () => {
  await runCli(['down', '--purge'], { cwd });
});

test('kill -9 mid-batch: records in stream order, only the batch in flight delivered again, none lost', async () => {
  const port = await getFreePort();
  const up = await runCli(['up', '--port', String(port), '--json'], { cwd });
  expect({ code: up.exitCode, stderr: up.stderr }).toMatchObject({ code: 0 });
  const state = (await readLocalState(path.join(cwd, '.ddb-ingest'))) as LocalState;
  const client = await createDynamoDbClient(localConnection(state));
  try {
    for (let i = 0; i < RECORDS; i++) {
      await client.send(
        new PutItemCommand({
          TableName: 'ddb-ingest-orders',
          Item: { orderId: { S: `o-${String(i).padStart(3, '0')}` } },
        }),
      );
    }
  } finally {
    client.destroy();
  }

  // Mid-batch: a batch has started and not ended, after at least one finished.
  const inFlight = await waitFor(
    async () => {
      const [started, ended] = [await lines('start'), await lines('end')];
      return ended.length >= 1 && started.length === ended.length + 1 ? started.at(-1) : undefined;
    },
    90_000,
    () => 'the runner never had a batch in flight after a finished one',
    50,
  );
  const runner = state.runner?.pid as number;
  process.kill(runner, 'SIGKILL');
  const beforeKill = await lines('start');

  const again = await runCli(['up', '--port', String(port), '--json'], { cwd });
  expect({ code: again.exitCode, stderr: again.stderr }).toMatchObject({ code: 0 });
  const restarted = (await readLocalState(path.join(cwd, '.ddb-ingest')))?.runner?.pid as number;
  expect(restarted).not.toBe(runner);
  expect(isProcessAlive(restarted)).toBe(true);

  const all = await waitFor(
    async () => {
      const started = await lines('start');
      return new Set(started.flat()).size >= RECORDS ? started : undefined;
    },
    90_000,
    () => 'not every record was delivered after the restart',
  );
  const seen = new Map<string, number>();
  for (const seq of all.flat()) seen.set(seq, (seen.get(seq) ?? 0) + 1);
  const redelivered = [...seen].filter(([, n]) => n > 1).map(([seq]) => seq);
  // The batch in flight at the kill, and nothing else, came a second time.
  expect(redelivered.sort()).toEqual([...(beforeKill.at(-1) ?? [])].sort());
  expect(beforeKill.at(-1)).toEqual(inFlight);
  expect(seen.size).toBe(RECORDS);

  // Stream order: sequence numbers rise within and across batches, before and after the restart.
  const order = (batches: string[][]) => batches.flat().map((s) => BigInt(s));
  const rising = (seqs: bigint[]) => seqs.every((s, i) => i === 0 || (seqs[i - 1] as bigint) < s);
  expect(rising(order(beforeKill))).toBe(true);
  expect(rising(order(all.slice(beforeKill.length)))).toBe(true);
  // The restart began with the batch that was in flight.
  expect(all[beforeKill.length]?.[0]).toBe(inFlight[0]);
}, 240_000);
