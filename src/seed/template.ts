/**
 * Item templates for `seed --template`: a JSON document whose string values
 * may hold faker expressions (`{{person.firstName}}`,
 * `{{number.int({"min":1,"max":9})}}`). Expressions are evaluated by faker's
 * own `helpers.fake` (compiled once, fakeExpression.ts); this module only decides the DynamoDB type of each
 * value (docs/seeding.md, "Typing"):
 *
 * - JSON numbers, booleans, null, arrays and objects are N, BOOL, NULL, L, M;
 * - a string with no expression is S, as written;
 * - a string that is exactly one expression (nothing around it) takes the
 *   type of what the faker method returns when called once without
 *   arguments: a number or bigint gives N, a boolean BOOL, anything else S;
 *   a date (faker's text of a JS Date) is written as an ISO 8601 string;
 * - any other string (text around an expression, several expressions) is S;
 * - the table's key attributes take the table's own key types (S, N or B);
 *   one of them may be constant (a sort key "PROFILE"), not all.
 */
import { readFile } from 'node:fs/promises';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Faker } from '@faker-js/faker';
import { SeedError } from './errors.js';
import { compileFake } from './fakeExpression.js';

export type KeyType = 'S' | 'N' | 'B';

export interface TableKey {
  name: string;
  type: KeyType;
}

/** The key schema of the table a template fills (from DescribeTable). */
export interface TableKeys {
  hash: TableKey;
  range?: TableKey;
}

/** What generation needs: plain data, so it can cross to the generator thread. */
export interface TemplateSpec {
  /** The parsed template: attribute name -> template value. */
  template: Record<string, unknown>;
  keys: TableKeys;
}

type Item = Record<string, AttributeValue>;
/** Builds one attribute value; faker has been seeded by the caller. */
type Maker = (faker: Faker) => AttributeValue;

/** A template checked against the table and ready to generate items. */
export interface CompiledTemplate {
  keyNames: string[];
  /** The key attributes (evaluated in this order, so keys depend only on their seed). */
  keys(faker: Faker): Item;
  /** Every attribute that is not a key. */
  attributes(faker: Faker): Item;
}

const NUMBER_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** How faker's helpers.fake writes a Date (Date.prototype.toString). */
const DATE_TEXT = /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} -?\d{4,6} \d{2}:\d{2}:\d{2} GMT[+-]\d{4}/;
/** faker's helpers.fake starts an expression at `{{` and a lower-case letter and ends it at the first `}}`. */
const EXPRESSION_START = /\{\{[a-z]/;

/** Reads and parses a template file; the errors name the file and what is wrong. */
export async function readTemplate(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SeedError(
      'seed.template-unreadable',
      `Cannot read the template ${file}: ${(err as Error).message}`,
      {
        cause: err,
        details: { file },
      },
    );
  }
  return parseTemplate(text, file);
}

export function parseTemplate(text: string, file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SeedError(
      'seed.template-invalid-json',
      `The template ${file} is not valid JSON: ${(err as Error).message}`,
      {
        cause: err,
        details: { file },
      },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SeedError(
      'seed.template-not-object',
      `The template ${file} must be a JSON object of attributes (name -> value), not ${describe(parsed)}.`,
      { details: { file } },
    );
  }
  return parsed as Record<string, unknown>;
}

/**
 * Checks a template against the table's keys and faker, and prepares it.
 * `probe` is a faker used only to try each expression once (so a bad one is
 * reported before anything is written) and to learn its methods' types; it
 * must not be the faker that generates the items.
 */
export function compileTemplate(spec: TemplateSpec, probe: Faker): CompiledTemplate {
  const { template, keys } = spec;
  const keyList = [keys.hash, ...(keys.range ? [keys.range] : [])];
  for (const key of keyList) {
    if (!(key.name in template)) {
      throw new SeedError(
        'seed.template-missing-key',
        `The template has no "${key.name}" attribute, the table's ${key === keys.hash ? 'partition' : 'sort'} key (${key.type}).`,
        { details: { attribute: key.name, keyType: key.type, keys: keyList.map((k) => k.name) } },
      );
    }
  }
  if (keyList.every((key) => isConstant(template[key.name]))) {
    const names = keyList.map((key) => `"${key.name}"`).join(' and ');
    throw new SeedError(
      'seed.template-constant-key',
      `The template's key (${names}) is the same for every item, so each item would overwrite the last. Give a key attribute a faker expression such as "{{string.uuid}}".`,
      { details: { attributes: keyList.map((key) => key.name) } },
    );
  }
  const keyMakers: [string, Maker][] = keyList.map((key) => [
    key.name,
    keyMaker(key, template[key.name], probe),
  ]);
  const isKey = new Set(keyList.map((key) => key.name));
  const attributeMakers: [string, Maker][] = Object.entries(template)
    .filter(([name]) => !isKey.has(name))
    .map(([name, value]) => [name, maker(value, name, probe)]);
  const compiled: CompiledTemplate = {
    keyNames: keyList.map((key) => key.name),
    keys: (faker) => build(keyMakers, faker),
    attributes: (faker) => build(attributeMakers, faker),
  };
  // One item from the probe: a value that fails only when generated (a key that is not a number) fails here.
  compiled.keys(probe);
  compiled.attributes(probe);
  return compiled;
}

function build(makers: [string, Maker][], faker: Faker): Item {
  const item: Item = {};
  for (const [name, make] of makers) item[name] = make(faker);
  return item;
}

function keyMaker(key: TableKey, value: unknown, probe: Faker): Maker {
  const path = key.name;
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new SeedError(
      'seed.template-bad-key',
      `The template's key attribute "${path}" is ${describe(value)}; a key is a string (with or without faker expressions) or a number (the table's key type is ${key.type}).`,
      { details: { attribute: path, keyType: key.type } },
    );
  }
  const text =
    typeof value === 'string' && EXPRESSION_START.test(value)
      ? checkedExpression(value, path, probe)
      : () => String(value);
  if (key.type === 'S') return (f) => ({ S: text(f) });
  if (key.type === 'B') return (f) => ({ B: Buffer.from(text(f), 'utf8') });
  return (f) => ({ N: numberText(text(f), path) });
}

/** True when a key attribute's value never changes from item to item. */
function isConstant(value: unknown): boolean {
  return typeof value !== 'string' || !EXPRESSION_START.test(value);
}

function maker(value: unknown, path: string, probe: Faker): Maker {
  if (value === null) return constant({ NULL: true });
  if (typeof value === 'boolean') return constant({ BOOL: value });
  if (typeof value === 'number') return constant({ N: numberText(String(value), path) });
  if (typeof value === 'string') return stringMaker(value, path, probe);
  if (Array.isArray(value)) {
    const parts = value.map((v, i) => maker(v, `${path}[${i}]`, probe));
    return (f) => ({ L: parts.map((make) => make(f)) });
  }
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(
      ([name, v]) => [name, maker(v, `${path}.${name}`, probe)] as [string, Maker],
    );
    return (f) => ({ M: build(parts, f) });
  }
  throw new SeedError('seed.template-bad-value', `The template's "${path}" is ${describe(value)}.`, {
    details: { attribute: path },
  });
}

function constant(value: AttributeValue): Maker {
  return () => value;
}

function stringMaker(value: string, path: string, probe: Faker): Maker {
  if (!EXPRESSION_START.test(value)) return constant({ S: value });
  const text = checkedExpression(value, path, probe);
  if (!isSingleExpression(value)) return (f) => ({ S: text(f) });
  const type = methodType(value, probe);
  if (type === 'N') return (f) => ({ N: numberText(text(f), path) });
  if (type === 'BOOL') return (f) => ({ BOOL: text(f) === 'true' });
  return (f) => {
    const s = text(f);
    return { S: DATE_TEXT.test(s) ? new Date(s).toISOString() : s };
  };
}

/** Tries the string once through faker; a method faker cannot resolve is the template's error. */
function checkedExpression(value: string, path: string, probe: Faker): (faker: Faker) => string {
  try {
    probe.helpers.fake(value);
  } catch (err) {
    throw new SeedError(
      'seed.template-bad-expression',
      `The template's "${path}" has an expression faker cannot evaluate (${JSON.stringify(value)}): ${(err as Error).message}.`,
      { cause: err, details: { attribute: path, value } },
    );
  }
  return compileFake(value, probe);
}

/** `{{...}}` and nothing else, where the first `}}` (faker's end of an expression) is the last. */
function isSingleExpression(value: string): boolean {
  return EXPRESSION_START.test(value.slice(0, 3)) && value.indexOf('}}') === value.length - 2;
}

/** What the expression's method returns when called without arguments: N, BOOL, or S for anything else. */
function methodType(value: string, probe: Faker): 'N' | 'BOOL' | 'S' {
  const path = /^[\w.]+/.exec(value.slice(2))?.[0] ?? '';
  const names = path.split('.').filter(Boolean);
  let owner: unknown;
  let target: unknown = probe;
  for (const name of names) {
    owner = target;
    target = (target as Record<string, unknown> | undefined)?.[name];
  }
  if (typeof target !== 'function') return 'S';
  try {
    const result = (target as () => unknown).call(owner);
    if (typeof result === 'number' || typeof result === 'bigint') return 'N';
    if (typeof result === 'boolean') return 'BOOL';
  } catch {
    // A method that needs arguments: its text is a string.
  }
  return 'S';
}

function numberText(text: string, path: string): string {
  if (!NUMBER_TEXT.test(text)) {
    throw new SeedError(
      'seed.template-not-a-number',
      `The template's "${path}" must be a number but gave ${JSON.stringify(text)}.`,
      { details: { attribute: path, value: text } },
    );
  }
  return text;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
