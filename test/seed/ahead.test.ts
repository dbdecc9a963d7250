/**
 * The generator thread of the built CLI gives exactly the batches the inline
 * generator gives, phase by phase, and never holds more than its buffer.
 * (From the TypeScript sources the worker file does not exist, so this test
 * drives the compiled module in dist/, as `ddb-ingest seed` does.)
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Ahead from '../../src/seed/ahead.js';
import type { GenerationSpec } from '../../src/seed/generate.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const built = async () =>
  (await import(pathToFileURL(path.join(ROOT, 'dist/src/seed/ahead.js')).href)) as typeof Ahead;

const spec: GenerationSpec = {
  seed: 7,
  count: 230,
  updates: 40,
  deletes: 30,
  reproducible: true,
  now: Date.UTC(2026, 0, 1),
  hashKey: 'orderId',
};

async function all(source: Ahead.BatchSource) {
  const phases: Record<string, unknown[][]> = {};
  for (const phase of ['insert', 'update', 'delete'] as const) {
    phases[phase] = [];
    for await (const batch of source.batches(phase)) phases[phase]?.push(batch);
  }
  await source.close();
  return phases;
}

test('worker and inline generation give the same batches in the same order', async () => {
  const { generateAhead, workerAvailable } = await built();
  expect(workerAvailable()).toBe(true);
  const [fromWorker, inline] = await Promise.all([
    generateAhead(spec, { generator: 'worker', buffer: 3 }).then(all),
    generateAhead(spec, { generator: 'inline' }).then(all),
  ]);
  expect(fromWorker.insert?.map((b) => b.length)).toEqual([25, 25, 25, 25, 25, 25, 25, 25, 25, 5]);
  expect(fromWorker.update).toHaveLength(2);
  expect(fromWorker.delete?.flat()).toHaveLength(30);
  expect(fromWorker).toEqual(inline);
}, 60_000);

test('the worker keeps at most its buffer of batches ready', async () => {
  const { generateAhead } = await built();
  const source = await generateAhead({ ...spec, count: 5_000 }, { generator: 'worker', buffer: 4 });
  try {
    const batches = source.batches('insert')[Symbol.asyncIterator]();
    await batches.next();
    const settle = async () => {
      for (let i = 0; i < 200 && source.ready() < 4; i++) await new Promise((r) => setTimeout(r, 50));
      // Then give the thread time to generate far more than it may.
      await new Promise((r) => setTimeout(r, 500));
    };
    await settle();
    expect(source.ready()).toBe(4);
    await batches.next();
    await settle();
    expect(source.ready()).toBe(4);
  } finally {
    await source.close();
  }
}, 60_000);

test('a template run gives the same batches on the generator thread as inline', async () => {
  const { generateAhead } = await built();
  const templateSpec: GenerationSpec = {
    ...spec,
    count: 120,
    template: {
      template: {
        pk: '{{string.uuid}}',
        sk: '{{number.int({"min":1,"max":99})}}',
        name: '{{person.fullName}}',
        joined: '{{date.past}}',
      },
      keys: { hash: { name: 'pk', type: 'S' }, range: { name: 'sk', type: 'N' } },
    },
  };
  const [fromWorker, inline] = await Promise.all([
    generateAhead(templateSpec, { generator: 'worker', buffer: 3 }).then(all),
    generateAhead(templateSpec, { generator: 'inline' }).then(all),
  ]);
  expect(fromWorker.insert?.flat()).toHaveLength(120);
  expect(fromWorker.update?.flat()).toHaveLength(40);
  expect(fromWorker.delete?.flat()).toHaveLength(30);
  expect(fromWorker).toEqual(inline);
  // --seed anchors faker's dates to a fixed day, as it does for the orders.
  const first = fromWorker.insert?.[0]?.[0] as { PutRequest: { Item: { joined: { S: string } } } };
  expect(Date.parse(first.PutRequest.Item.joined.S)).toBeLessThan(Date.UTC(2026, 0, 1));
}, 60_000);

test('a template the generator thread refuses comes back as its own error, before any batch', async () => {
  const { generateAhead } = await built();
  const source = await generateAhead(
    {
      ...spec,
      template: { template: { name: '{{person.firstName}}' }, keys: { hash: { name: 'pk', type: 'S' } } },
    },
    { generator: 'worker', buffer: 2 },
  );
  try {
    const first = source.batches('insert')[Symbol.asyncIterator]().next();
    await expect(first).rejects.toMatchObject({
      code: 'seed.template-missing-key',
      details: { attribute: 'pk' },
    });
  } finally {
    await source.close();
  }
}, 60_000);
