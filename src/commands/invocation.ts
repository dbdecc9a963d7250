import path from 'node:path';
import type { GlobalOptions } from '../context.js';

/** Quotes a word for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * How the user ran the tool, so the commands we suggest can be pasted as they
 * are: `npx ddb-ingest`, `ddb-ingest` (on the PATH), or `node bin/ddb-ingest.js`,
 * followed by the options that choose the stack and where it runs (--config,
 * --state-dir, --target, --profile, --region, --endpoint-url): a suggested
 * command without them would act on another stack, account or endpoint (an
 * emulator user's `up` would reach real AWS).
 */
export function commandPrefix(
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
  argv: string[] = process.argv,
  cwd: string = process.cwd(),
): string {
  const script = argv[1] ?? '';
  let base: string;
  if (env.npm_command === 'exec') base = 'npx ddb-ingest';
  else if (path.basename(script) === 'ddb-ingest') base = 'ddb-ingest';
  else {
    const relative = path.relative(cwd, script);
    base = `node ${shellWord(relative && !relative.startsWith('..') ? relative : script)}`;
  }
  const words = [base];
  if (opts.config) words.push('--config', shellWord(opts.config));
  if (opts.stateDir) words.push('--state-dir', shellWord(opts.stateDir));
  if (opts.target && opts.target !== 'local') words.push('--target', shellWord(opts.target));
  if (opts.profile) words.push('--profile', shellWord(opts.profile));
  if (opts.region) words.push('--region', shellWord(opts.region));
  if (opts.endpointUrl) words.push('--endpoint-url', shellWord(opts.endpointUrl));
  return words.join(' ');
}

/** Rewrites every `` `ddb-ingest ...` `` in a message to the user's own way of running it. */
export function withOwnCommand(text: string, prefix: string): string {
  if (prefix === 'ddb-ingest') return text;
  const target = /--target (\S+)/.exec(prefix)?.[1];
  return text.replace(/`ddb-ingest((?: [^`]*)?)`/g, (_, rest: string) => {
    // The prefix names the target already: `up --target aws` must not say it twice.
    const own = target ? rest.replaceAll(` --target ${target}`, '') : rest;
    return `\`${prefix}${own}\``;
  });
}
