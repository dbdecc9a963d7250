import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { classifyAwsFailure } from './aws/failures.js';
import { demoCommand } from './commands/demo.js';
import { dlqCommand } from './commands/dlq.js';
import { downCommand } from './commands/down.js';
import { commandPrefix, withOwnCommand } from './commands/invocation.js';
import { logsCommand } from './commands/logs.js';
import { replayCommand } from './commands/replay.js';
import { rollbackCommand } from './commands/rollback.js';
import { seedCommand } from './commands/seed.js';
import { statusCommand } from './commands/status.js';
import { tailCommand } from './commands/tail.js';
import { upCommand } from './commands/up.js';
import { verifyCommand } from './commands/verify.js';
import { createOutput, type GlobalOptions } from './context.js';
import { toCliError } from './errorMessages.js';
import { InterruptedError } from './errors.js';
import { packageRoot } from './util/packageRoot.js';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
).version;

// Command modules only declare options; the work modules (AWS SDK, faker,
// esbuild) are imported inside each action, so `--help` loads none of them.
export function buildProgram(): Command {
  const program = new Command('ddb-ingest')
    .description(
      'Run a DynamoDB Streams -> Lambda ingestion pipeline locally exactly as on AWS, then deploy and operate it.',
    )
    .version(PACKAGE_VERSION, '-V, --version')
    .option('--config <path>', 'stack file (default: ./ddb-ingest.json; missing file = default stack)')
    .addOption(
      new Option('--target <target>', 'where the stack runs').choices(['local', 'aws']).default('local'),
    )
    .option('--json', 'machine-readable output on stdout')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('-q, --quiet', 'no progress or messages on stderr')
    .option('--verbose', "also print the output of the tools run underneath (Terraform's own lines)")
    .option('--profile <name>', 'AWS profile (aws target)')
    .option('--region <region>', 'AWS region (default: AWS_REGION, then the stack file)')
    .option(
      '--endpoint-url <url>',
      'send every AWS call (SDK clients and Terraform) here: LocalStack, moto (default: AWS_ENDPOINT_URL[_<SERVICE>])',
    )
    .option(
      '--state-dir <dir>',
      'local state, logs, bundle and DLQ (default: .ddb-ingest/ beside the stack file)',
    )
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      `
Examples:
  $ ddb-ingest up                      start DynamoDB Local, the tables and the pipeline
  $ ddb-ingest seed --count 1000 --updates 200 --deletes 50
  $ ddb-ingest status --json | jq .esm
  $ ddb-ingest tail --from trim-horizon --no-follow
  $ ddb-ingest verify
  $ ddb-ingest down --purge`,
    );
  for (const command of [
    upCommand(),
    downCommand(),
    statusCommand(),
    seedCommand(),
    tailCommand(),
    replayCommand(),
    logsCommand(),
    dlqCommand(),
    rollbackCommand(),
    verifyCommand(),
    demoCommand(),
  ]) {
    program.addCommand(command);
  }
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code; the only place errors become output. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err, program.opts<GlobalOptions>());
  }
}

export function reportError(err: unknown, opts: GlobalOptions): number {
  if (err instanceof CommanderError) {
    // Commander printed its own message; help and version are not errors.
    if (['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code)) return 0;
    return 2;
  }
  const output = createOutput(opts);
  if (err instanceof InterruptedError) {
    output.notice(err.done ? `interrupted: ${err.done}` : 'interrupted.');
    return 130;
  }
  // An SDK or network failure (unreachable endpoint, credentials, throttling, 5xx) is the user's to fix, not a bug.
  const known = toCliError(err) ?? toCliError(classifyAwsFailure(err));
  if (known) {
    const prefix = commandPrefix(opts);
    output.error(withOwnCommand(known.message, prefix));
    if (known.hint) output.info(`${output.style.dim('hint:')} ${withOwnCommand(known.hint, prefix)}`);
    return known.exitCode;
  }
  output.error(`unexpected failure: ${(err as Error)?.message ?? String(err)}`);
  output.info((err as Error)?.stack ?? '');
  output.info('This is a bug in ddb-ingest; please report it with the output above.');
  return 1;
}
