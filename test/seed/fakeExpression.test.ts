/**
 * The compiled `helpers.fake` (src/seed/fakeExpression.ts) must give exactly
 * what faker's own `fake` gives for the same seed: same values, same random
 * draws (so the next expression matches too), whichever path it takes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { faker as stock } from '@faker-js/faker';
import { compileFake } from '../../src/seed/fakeExpression.js';
import { createSeedFaker } from '../../src/seed/faker.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every string of a template (nested values included). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

const EXPRESSIONS = [
  // Compiled: methods, with and without JSON arguments, with text around and several in one string.
  '{{string.uuid}}',
  '{{person.fullName}}',
  '{{internet.email}}',
  '{{commerce.productName}}',
  '{{number.int({"min":1,"max":9})}}',
  '{{number.float({"min":1,"max":500,"fractionDigits":2})}}',
  '{{helpers.arrayElement(["USD","EUR","GBP"])}}',
  '{{helpers.arrayElements(["a","b","c","d"])}}',
  '{{helpers.arrayElement(["(", ")", "}"])}}',
  '{{date.past}}',
  '{{datatype.boolean}}',
  'SKU-{{string.alphanumeric({"length":8,"casing":"upper"})}}',
  '{{person.firstName}} {{person.lastName}} <{{internet.email}}>',
  'ORDER#{{string.uuid}}#{{number.int(100)}}',
  // Left to fake: definitions paths, text arguments, a brace before an expression, no expression at all.
  '{{person.first_name}}',
  '{{location.state}} / {{location.city}}',
  '{{helpers.slugify(Hello World)}}',
  '{{{string.uuid}}',
  'no expression {{ here',
  // Compiled, but a result with a brace goes back to fake, which evaluates what the result spells.
  'x {{helpers.arrayElement(["{","{{","b"])}}{{number.int(9)}} {{string.uuid}}',
];

test.each(EXPRESSIONS)('%s gives what helpers.fake gives, seed after seed', async (text) => {
  const [ours, theirs, probe] = await Promise.all([createSeedFaker(), createSeedFaker(), createSeedFaker()]);
  const compiled = compileFake(text, probe);
  for (let i = 0; i < 200; i++) {
    ours.seed([7, i]);
    theirs.seed([7, i]);
    expect(compiled(ours)).toBe(theirs.helpers.fake(text));
    // The next draw matches too: the compiled call consumed exactly as many random numbers.
    expect(ours.number.int(1_000_000)).toBe(theirs.number.int(1_000_000));
  }
});

test("every string of the shipped templates gives what helpers.fake gives, on faker's default randomizer too", async () => {
  const dir = path.join(root, 'examples', 'templates');
  const files = ['orders.json', path.join('..', 'single-table', 'orders.template.json')];
  const texts = new Set<string>();
  for (const file of files) {
    for (const s of strings(JSON.parse(await readFile(path.join(dir, file), 'utf8')))) texts.add(s);
  }
  expect(texts.size).toBeGreaterThan(10);
  for (const text of texts) {
    const compiled = compileFake(text, stock);
    for (let i = 0; i < 50; i++) {
      stock.seed(i);
      const value = compiled(stock);
      stock.seed(i);
      expect(value).toBe(stock.helpers.fake(text));
    }
  }
});
