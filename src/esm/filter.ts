import { EsmError } from './errors.js';

/**
 * Event filtering with the EventBridge pattern grammar, as Lambda applies it to
 * DynamoDB stream records: patterns match the record exactly as delivered,
 * type wrappers (`{"S": ...}`) included, so `{"status": ["PAID"]}` never
 * matches `{"status": {"S": "PAID"}}`.
 */

/** AWS's message for any malformed pattern; the detail goes into the hint. */
export const INVALID_FILTER_PATTERN = 'Invalid filter pattern definition.';

/** Lambda accepts at most this many patterns per event source mapping. */
export const MAX_FILTER_PATTERNS = 5;

type Leaf = string | number | boolean | null;

type Matcher =
  | { kind: 'exact'; value: Leaf }
  | { kind: 'prefix'; value: string; ignoreCase: boolean }
  | { kind: 'suffix'; value: string; ignoreCase: boolean }
  | { kind: 'equalsIgnoreCase'; value: string }
  | { kind: 'anythingBut'; values: Leaf[] }
  | { kind: 'anythingButAffix'; affix: 'prefix' | 'suffix'; value: string }
  | { kind: 'anythingButIgnoreCase'; values: string[] }
  | { kind: 'numeric'; conditions: { op: NumericOp; value: number }[] }
  | { kind: 'exists'; value: boolean };

type NumericOp = '<' | '<=' | '=' | '>' | '>=';

/** A validated pattern: keys AND, `$or` alternatives, leaf lists OR. */
export interface CompiledPattern {
  fields: { key: string; node: CompiledPattern | Matcher[] }[];
  or: CompiledPattern[][];
}

/** A predicate over delivered records; `undefined` criteria match everything. */
export type RecordFilter = (record: unknown) => boolean;

function invalid(detail: string): never {
  throw new EsmError('esm.invalid-filter-pattern', INVALID_FILTER_PATTERN, { details: { detail } });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLeaf(value: unknown): value is Leaf {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** Parses and validates one pattern (the JSON text of a `Filters[].Pattern`). */
export function parseFilterPattern(text: string): CompiledPattern {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    invalid('not valid JSON');
  }
  if (!isPlainObject(raw)) invalid('a pattern is a JSON object');
  if (Object.keys(raw).length === 0) invalid('a pattern needs at least one key');
  return compileObject(raw, '');
}

function compileObject(raw: Record<string, unknown>, at: string): CompiledPattern {
  const compiled: CompiledPattern = { fields: [], or: [] };
  for (const [key, value] of Object.entries(raw)) {
    const where = at ? `${at}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2)
        invalid(`"$or" at ${where} needs an array of 2 or more patterns`);
      compiled.or.push(
        value.map((alt) => {
          if (!isPlainObject(alt) || Object.keys(alt).length === 0) {
            invalid(`each "$or" alternative at ${where} is a non-empty object`);
          }
          return compileObject(alt, where);
        }),
      );
    } else if (isPlainObject(value)) {
      if (Object.keys(value).length === 0) invalid(`${where} is an empty object`);
      compiled.fields.push({ key, node: compileObject(value, where) });
    } else if (Array.isArray(value)) {
      if (value.length === 0) invalid(`${where} is an empty array`);
      compiled.fields.push({ key, node: value.map((m) => compileMatcher(m, where)) });
    } else {
      invalid(`the value of ${where} must be an array or an object`);
    }
  }
  return compiled;
}

function compileMatcher(raw: unknown, where: string): Matcher {
  if (isLeaf(raw)) return { kind: 'exact', value: raw };
  if (!isPlainObject(raw)) invalid(`unsupported value in ${where}`);
  const keys = Object.keys(raw);
  if (keys.length !== 1) invalid(`an operator object in ${where} has exactly one key`);
  const op = keys[0] as string;
  const arg = raw[op];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      if (typeof arg === 'string') return { kind: op, value: arg, ignoreCase: false };
      if (
        isPlainObject(arg) &&
        Object.keys(arg).length === 1 &&
        typeof arg['equals-ignore-case'] === 'string'
      ) {
        return { kind: op, value: arg['equals-ignore-case'], ignoreCase: true };
      }
      return invalid(`"${op}" in ${where} takes a string`);
    }
    case 'equals-ignore-case':
      if (typeof arg !== 'string') invalid(`"equals-ignore-case" in ${where} takes a string`);
      return { kind: 'equalsIgnoreCase', value: arg };
    case 'anything-but':
      return compileAnythingBut(arg, where);
    case 'numeric':
      return compileNumeric(arg, where);
    case 'exists':
      if (typeof arg !== 'boolean') invalid(`"exists" in ${where} takes true or false`);
      return { kind: 'exists', value: arg };
    default:
      return invalid(`unknown operator "${op}" in ${where}`);
  }
}

function compileAnythingBut(arg: unknown, where: string): Matcher {
  if (typeof arg === 'string' || (typeof arg === 'number' && Number.isFinite(arg))) {
    return { kind: 'anythingBut', values: [arg] };
  }
  if (Array.isArray(arg)) {
    const allStrings = arg.every((v) => typeof v === 'string');
    const allNumbers = arg.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (arg.length === 0 || !(allStrings || allNumbers)) {
      invalid(`"anything-but" in ${where} takes a non-empty list of strings or of numbers`);
    }
    return { kind: 'anythingBut', values: arg as Leaf[] };
  }
  if (isPlainObject(arg) && Object.keys(arg).length === 1) {
    const [inner, value] = Object.entries(arg)[0] as [string, unknown];
    if ((inner === 'prefix' || inner === 'suffix') && typeof value === 'string' && value !== '') {
      return { kind: 'anythingButAffix', affix: inner, value };
    }
    if (inner === 'equals-ignore-case') {
      const values = typeof value === 'string' ? [value] : value;
      if (Array.isArray(values) && values.length > 0 && values.every((v) => typeof v === 'string')) {
        return { kind: 'anythingButIgnoreCase', values: values as string[] };
      }
    }
  }
  return invalid(`unsupported "anything-but" value in ${where}`);
}

const NUMERIC_OPS = new Set<NumericOp>(['<', '<=', '=', '>', '>=']);

function compileNumeric(arg: unknown, where: string): Matcher {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) {
    invalid(`"numeric" in ${where} takes 1 or 2 (operator, number) pairs`);
  }
  const conditions: { op: NumericOp; value: number }[] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const value = arg[i + 1];
    if (!NUMERIC_OPS.has(op as NumericOp) || typeof value !== 'number' || !Number.isFinite(value)) {
      invalid(`"numeric" in ${where} takes 1 or 2 (operator, number) pairs`);
    }
    conditions.push({ op: op as NumericOp, value });
  }
  // A range is one lower and one upper bound; "=" stands alone.
  if (conditions.length === 2) {
    const [a, b] = conditions as [{ op: NumericOp; value: number }, { op: NumericOp; value: number }];
    const lower = (c: { op: NumericOp }) => c.op === '>' || c.op === '>=';
    const upper = (c: { op: NumericOp }) => c.op === '<' || c.op === '<=';
    const isRange = (lower(a) && upper(b)) || (upper(a) && lower(b));
    if (!isRange) invalid(`"numeric" range in ${where} needs one lower and one upper bound`);
    const lo = lower(a) ? a : b;
    const hi = lower(a) ? b : a;
    if (lo.value > hi.value) invalid(`"numeric" range in ${where} is empty`);
  }
  return { kind: 'numeric', conditions };
}

/** True when `record` matches `pattern`. */
export function matchesPattern(pattern: CompiledPattern, record: unknown): boolean {
  return matchObject(pattern, record);
}

function matchObject(pattern: CompiledPattern, value: unknown): boolean {
  // A missing or non-object value has no fields: only `exists: false` below it can match.
  const obj = isPlainObject(value) ? value : undefined;
  for (const { key, node } of pattern.fields) {
    const child = obj?.[key];
    if (Array.isArray(node)) {
      if (!matchLeafList(node, child)) return false;
    } else if (!matchObject(node, child)) {
      return false;
    }
  }
  for (const alternatives of pattern.or) {
    if (!alternatives.some((alt) => matchObject(alt, value))) return false;
  }
  return true;
}

/** Leaf values at a key: an array holds several; objects are not leaves. */
function leavesOf(value: unknown): Leaf[] {
  if (Array.isArray(value)) return value.filter(isLeaf);
  return isLeaf(value) ? [value] : [];
}

function matchLeafList(matchers: Matcher[], value: unknown): boolean {
  const leaves = leavesOf(value);
  return matchers.some((m) => {
    // `exists` only sees leaf values: a key holding an object counts as absent.
    if (m.kind === 'exists') return m.value === leaves.length > 0;
    return leaves.some((leaf) => matchLeaf(m, leaf));
  });
}

function matchLeaf(m: Exclude<Matcher, { kind: 'exists' }>, leaf: Leaf): boolean {
  switch (m.kind) {
    case 'exact':
      return leaf === m.value;
    case 'prefix':
      return (
        typeof leaf === 'string' &&
        (m.ignoreCase ? leaf.toLowerCase().startsWith(m.value.toLowerCase()) : leaf.startsWith(m.value))
      );
    case 'suffix':
      return (
        typeof leaf === 'string' &&
        (m.ignoreCase ? leaf.toLowerCase().endsWith(m.value.toLowerCase()) : leaf.endsWith(m.value))
      );
    case 'equalsIgnoreCase':
      return typeof leaf === 'string' && leaf.toLowerCase() === m.value.toLowerCase();
    case 'anythingBut':
      return !m.values.includes(leaf);
    case 'anythingButAffix':
      return (
        typeof leaf === 'string' &&
        !(m.affix === 'prefix' ? leaf.startsWith(m.value) : leaf.endsWith(m.value))
      );
    case 'anythingButIgnoreCase':
      return typeof leaf === 'string' && !m.values.some((v) => v.toLowerCase() === leaf.toLowerCase());
    case 'numeric':
      // DynamoDB's N values are strings on the wire: only real JSON numbers compare.
      return typeof leaf === 'number' && m.conditions.every((c) => compare(leaf, c.op, c.value));
  }
}

function compare(a: number, op: NumericOp, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '=':
      return a === b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/**
 * Compiles up to five patterns into one predicate (ORed). No patterns means
 * no filtering: every record matches.
 */
export function compileFilters(patterns: readonly string[]): RecordFilter {
  if (patterns.length > MAX_FILTER_PATTERNS) {
    throw new EsmError(
      'esm.too-many-filters',
      `FilterCriteria has ${patterns.length} patterns; at most ${MAX_FILTER_PATTERNS} are allowed.`,
      { details: { count: patterns.length, max: MAX_FILTER_PATTERNS } },
    );
  }
  const compiled = patterns.map(parseFilterPattern);
  if (compiled.length === 0) return () => true;
  return (record) => compiled.some((p) => matchesPattern(p, record));
}
