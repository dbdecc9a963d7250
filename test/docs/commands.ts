/**
 * The `ddb-ingest` command lines of the docs, and the rule for how each one
 * is checked. Shared by the docs test; kept free of jest so it reads as the rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command, Option } from 'commander';

export interface DocCommand {
  /** Path relative to the repository root. */
  file: string;
  /** 1-based line of the command in the file. */
  line: number;
  /** The line as written (without a `$ ` prompt). */
  text: string;
  /** Arguments after `ddb-ingest`. */
  argv: string[];
  /**
   * The stack the command runs against: a directory of the repository (an
   * example) named by the file's `<!-- docs-test stack: examples/x -->`
   * line; absent: the default stack.
   */
  stack?: string;
}

const STACK_MARKER = /^<!--\s*docs-test stack:\s*(\S+)\s*-->\s*$/m;

/** The example stack a doc's commands run against, if it names one. */
export function docStack(text: string): string | undefined {
  return STACK_MARKER.exec(text)?.[1];
}

/** README.md and every docs/*.md, in a stable order. */
export function docFiles(root: string): string[] {
  const docs = readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => path.join('docs', name));
  return ['README.md', ...docs];
}

/**
 * Splits one shell line into words: single and double quotes, backslash
 * escapes, and it stops at the first unquoted `|`, `>`, `<`, `;`, `&&` or `#`
 * (what follows is another program or a comment, not part of the command).
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if ('|><;#'.includes(c) || (c === '&' && line[i + 1] === '&')) {
      break;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const FENCE = /^\s*```(\S*)/;
const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Command lines in fenced ```sh blocks: lines whose command (after a `$ `
 * prompt and any VAR=value assignments) is `ddb-ingest` or
 * `node bin/ddb-ingest.js`. A trailing `\` continues a line.
 */
export function extractCommands(file: string, text: string): DocCommand[] {
  const commands: DocCommand[] = [];
  const stack = docStack(text);
  const lines = text.split('\n');
  let inSh = false;
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const fence = FENCE.exec(raw);
    if (fence) {
      inSh = !inFence && ['sh', 'shell', 'bash', 'console'].includes(fence[1] ?? '');
      inFence = !inFence;
      continue;
    }
    if (!inSh) continue;
    const start = i;
    let line = raw.trim().replace(/^\$\s+/, '');
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1)} ${(lines[++i] as string).trim()}`;
    }
    const words = shellWords(line);
    while (words.length > 0 && ENV_ASSIGNMENT.test(words[0] as string)) words.shift();
    let argv: string[] | undefined;
    if (words[0] === 'ddb-ingest') argv = words.slice(1);
    else if (words[0] === 'node' && words[1]?.endsWith('bin/ddb-ingest.js')) argv = words.slice(2);
    if (argv) commands.push({ file, line: start + 1, text: line, argv, ...(stack ? { stack } : {}) });
  }
  return commands;
}

export function readDocCommands(root: string): DocCommand[] {
  return docFiles(root).flatMap((file) => extractCommands(file, readFileSync(path.join(root, file), 'utf8')));
}

/**
 * The rule. A command is executed against the test's own local stack unless
 * it cannot run there, and then only its parsing is checked:
 * - `--target aws` anything (needs an AWS account), `--invoke remote`;
 * - `up`, `down` and `demo`: the test owns the one stack's lifecycle (it runs
 *   `up --port <free port>` first and `down --purge` last);
 * - what runs until Ctrl-C: `--follow`/`-f`, `up --foreground`, and `tail`
 *   without `--no-follow`.
 * Returns why a command is parse-only, or undefined when it is executed.
 */
export function parseOnlyReason(argv: string[]): string | undefined {
  const has = (...flags: string[]) => argv.some((a) => flags.includes(a));
  const targetAws = argv.some((a, i) => (a === '--target' && argv[i + 1] === 'aws') || a === '--target=aws');
  if (targetAws) return 'aws target';
  if (argv.some((a, i) => (a === '--invoke' && argv[i + 1] === 'remote') || a === '--invoke=remote'))
    return 'invokes the deployed function';
  const name = commandName(argv);
  if (name === 'up' || name === 'down' || name === 'demo') return 'the test owns the stack lifecycle';
  if (has('--follow', '-f', '--foreground')) return 'runs until interrupted';
  if (name === 'tail' && !has('--no-follow')) return 'tail follows until interrupted';
  return undefined;
}

/** Global options that take a value, so the command name can be found after them. */
const GLOBAL_VALUE_OPTIONS = [
  '--config',
  '--target',
  '--profile',
  '--region',
  '--endpoint-url',
  '--state-dir',
];

export function commandName(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (GLOBAL_VALUE_OPTIONS.includes(word)) i++;
    else if (!word.startsWith('-')) return word;
  }
  return undefined;
}

function findOption(command: Command, flag: string): Option | undefined {
  return command.options.find((option) => option.long === flag || option.short === flag);
}

/**
 * Checks a command line against the program's declared commands and options
 * (global ones before or after the command name), which commander's own
 * `--help` handling does not: `seed --bogus --help` prints help and exits 0.
 * Returns the problems found; empty when every word is accounted for.
 */
export function checkAgainstProgram(program: Command, argv: string[]): string[] {
  const problems: string[] = [];
  let command: Command | undefined;
  let operands = 0;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word.startsWith('-') && word !== '-') {
      const [flag = word, inline] = word.startsWith('--') ? word.split(/=(.*)/s) : [word];
      if (flag === '--help' || flag === '-h') continue;
      const option = (command && findOption(command, flag)) ?? findOption(program, flag);
      if (!option) {
        problems.push(`unknown option ${flag}${command ? ` for ${command.name()}` : ''}`);
        continue;
      }
      if (inline !== undefined) continue;
      if (option.required) i++;
      else if (option.optional && argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('-')) i++;
    } else if (!command) {
      command = program.commands.find((c) => c.name() === word || c.aliases().includes(word));
      if (!command) {
        problems.push(`unknown command ${word}`);
        return problems;
      }
    } else {
      operands++;
      if (operands > command.registeredArguments.length)
        problems.push(`unexpected argument ${word} for ${command.name()}`);
    }
  }
  if (!command) problems.push('no command');
  return problems;
}
