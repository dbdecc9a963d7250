import type { Faker } from '@faker-js/faker';

/**
 * faker's `helpers.fake(text)`, with its parsing done once. `fake` finds the
 * first `{{expression}}`, resolves its path against the faker and faker's
 * definitions, JSON-parses the arguments, calls the method, then scans the
 * whole new string again: about two thirds of a template item's generation
 * time went there, not into the methods. A string made only of
 * `{{module.method}}` or `{{module.method(<JSON>)}}` expressions (the usual
 * template) is compiled into direct calls that draw the same random numbers
 * in the same order, so it gives exactly what `fake` gives (a test compares
 * them); anything else (a definitions path, a chained call, arguments faker
 * reads as text, a result holding `{`) is left to `fake` itself.
 */
export function compileFake(text: string, probe: Faker): (faker: Faker) => string {
  const parts = split(text, probe);
  if (!parts) return (faker) => faker.helpers.fake(text);
  return (faker) => {
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as Part;
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const value = String(part.call(faker));
      // A result with a brace could start an expression of its own when fake scans the new string.
      if (value.includes('{')) return faker.helpers.fake(out + value + rest(parts, i + 1));
      out += value;
    }
    return out;
  };
}

/** A literal, or one resolved method call. */
type Part = string | { source: string; call: (faker: Faker) => unknown };

/** faker's `fake` starts an expression at `{{` and a lower-case letter and ends it at the next `}}`. */
const START = /\{\{[a-z]/;
const METHOD = /^([a-z][A-Za-z0-9]*)\.([A-Za-z][A-Za-z0-9]*)(\(.*\))?$/s;

function split(text: string, probe: Faker): Part[] | undefined {
  const parts: Part[] = [];
  let rest = text;
  for (;;) {
    const start = rest.search(START);
    const end = start === -1 ? -1 : rest.indexOf('}}', start);
    if (start === -1 || end === -1) {
      parts.push(rest);
      return parts;
    }
    const literal = rest.slice(0, start);
    // A literal ending in `{` could join a result into a new expression when fake scans again.
    if (literal.endsWith('{')) return undefined;
    const source = rest.slice(start, end + 2);
    const call = methodCall(source.slice(2, -2), probe);
    if (!call) return undefined;
    parts.push(literal, { source, call });
    rest = rest.slice(end + 2);
  }
}

/**
 * `module.method` or `module.method(args)` exactly as faker's evaluator
 * resolves it: only where the method exists on the faker and the same path
 * is nothing in faker's definitions (which it would also try, drawing a
 * random element of an array), and the arguments are the JSON that faker's
 * evaluator would read up to the expression's last parenthesis.
 */
function methodCall(expression: string, probe: Faker): ((faker: Faker) => unknown) | undefined {
  // fake deletes the first `{{` inside an expression before evaluating it: such arguments are fake's to read.
  if (expression.includes('{{')) return undefined;
  const match = METHOD.exec(expression);
  if (!match) return undefined;
  const [, module, method, args] = match as unknown as [string, string, string, string | undefined];
  const owner = (probe as unknown as Record<string, unknown>)[module];
  if (typeof owner !== 'object' || owner === null || Array.isArray(owner)) return undefined;
  if (typeof (owner as Record<string, unknown>)[method] !== 'function') return undefined;
  const definitions = (probe.definitions as unknown as { raw?: Record<string, unknown> }).raw?.[module];
  if (Array.isArray(definitions) || typeof definitions === 'function') return undefined;
  if ((definitions as Record<string, unknown> | undefined)?.[method] != null) return undefined;
  const target = (faker: Faker) =>
    (faker as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[module]?.[method] as (
      ...a: unknown[]
    ) => unknown;
  if (args === undefined) return (faker) => target(faker)();
  const inner = args.slice(1, -1);
  if (!readsAsJson(inner)) return undefined;
  const json = `[${inner}]`;
  return (faker) => {
    // Parsed for every call, as fake does: a method may keep or change the options object it is given.
    const result = target(faker)(...(JSON.parse(json) as unknown[]));
    // fake's own words for it (its FakerError), without a second draw of the random numbers.
    if (result == null) throw new Error(`Cannot resolve expression '${expression}'`);
    // What faker's evaluator does to a call's result before it is the expression's value.
    if (Array.isArray(result)) return faker.helpers.arrayElement(result);
    return typeof result === 'function' ? (result as () => unknown)() : result;
  };
}

/**
 * Whether faker's evaluator reads `inner` (the text between the method's
 * parentheses) as one JSON argument list: it tries each `)` in turn and
 * takes the first where the text before parses, as JSON or (without quotes)
 * as one string; the compiled call needs that to be the last one.
 */
function readsAsJson(inner: string): boolean {
  const text = `(${inner})`;
  for (let close = text.indexOf(')', 1); close !== -1; close = text.indexOf(')', close + 1)) {
    const candidate = text.substring(1, close);
    const last = close === text.length - 1;
    try {
      JSON.parse(`[${candidate}]`);
      return last;
    } catch {
      if (!candidate.includes("'") && !candidate.includes('"')) {
        try {
          JSON.parse(`["${candidate}"]`);
          return false;
        } catch {
          // Neither: faker tries the next parenthesis.
        }
      }
    }
  }
  return false;
}

function rest(parts: Part[], from: number): string {
  let text = '';
  for (let i = from; i < parts.length; i++) {
    const part = parts[i] as Part;
    text += typeof part === 'string' ? part : part.source;
  }
  return text;
}
