import type { AwsErrorCode } from './aws/errors.js';
import type { BundleErrorCode } from './bundle/errors.js';
import type { ConfigErrorCode } from './config/errors.js';
import type { DemoErrorCode } from './demo/errors.js';
import type { DynamoErrorCode } from './dynamo/errors.js';
import { CliError, DdbIngestError, RuntimeError, UsageError } from './errors.js';
import type { EsmErrorCode } from './esm/errors.js';
import type { LogsErrorCode } from './logs/errors.js';
import type { ReplayErrorCode } from './replay/errors.js';
import type { LocalRuntimeErrorCode } from './runtime/errors.js';
import type { SeedErrorCode } from './seed/errors.js';
import type { StreamsErrorCode } from './streams/errors.js';
import type { CanaryErrorCode } from './targets/aws/canary/errors.js';
import type { TargetErrorCode } from './targets/errors.js';
import type { VerifyErrorCode } from './verify/errors.js';

/**
 * The one place where a work module's error becomes what the user reads. The
 * modules say what went wrong in their own terms (code, message, details); the
 * CLI's words (command names, flags, what to run next) and the exit codes live
 * here and in src/commands/ only. Only types are imported, so loading this
 * module loads no work module.
 */
export type ErrorCode =
  | AwsErrorCode
  | BundleErrorCode
  | CanaryErrorCode
  | ConfigErrorCode
  | DemoErrorCode
  | DynamoErrorCode
  | EsmErrorCode
  | LogsErrorCode
  | ReplayErrorCode
  | LocalRuntimeErrorCode
  | SeedErrorCode
  | StreamsErrorCode
  | TargetErrorCode
  | VerifyErrorCode;

type Details = Readonly<Record<string, unknown>>;

/** "Pass --flag <name>: one of a, b." or what to do when there is nothing to choose. */
function choose(flag: string, names: unknown, none: string): string {
  const list = Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  return list.length > 0
    ? `Pass ${flag} with one of: ${list.join(', ')}.`
    : `Nothing to choose from: ${none}.`;
}

/** "tables a, b" or "no table". */
function listOrNone(names: unknown): string {
  const list = Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  return list.length > 0 ? `table${list.length > 1 ? 's' : ''} ${list.join(', ')}` : 'no table';
}

/** Where a command needs one function of the stack: the functions it has. */
const chooseFunction: Rendering = {
  exit: 2,
  hint: (d) => choose('--function', d.functions, 'declare one under functions in the stack file'),
};

/** Where a command needs one table's stream: the tables with one. */
const chooseStreamTable: Rendering = {
  exit: 2,
  hint: (d) => choose('--table', d.tables, 'set stream_view_type on a table in the stack file'),
};

interface Rendering {
  /** 2 = bad usage or bad input (the stack file, a replay file, a value), 1 = the work failed. */
  exit: 1 | 2;
  hint?: string | ((details: Details) => string | undefined);
  /** The user's wording when the module's own message would not name the flag or command. */
  message?: (details: Details, moduleMessage: string) => string;
}

const REPLAY_FORMATS_HINT =
  'A replay file holds one stream record per line (what `ddb-ingest tail --json` or `--output` writes) or one Lambda event {"Records": [...]}.';

const TEMPLATE_HINT =
  'A seed template is a JSON object of attributes whose string values may hold faker expressions, e.g. {"pk": "{{string.uuid}}", "name": "{{person.fullName}}", "age": "{{number.int({\\"min\\":18,\\"max\\":90})}}"} (docs/seeding.md).';

const TERRAFORM_INSTALL_HINT =
  'Install Terraform 1.5 or newer (https://developer.hashicorp.com/terraform/install) and make sure `terraform version` runs, or pass the path of the binary.';

/** Where Terraform names the CodeDeploy resource that failed (`with aws_codedeploy_app.this[0],`). */
const CODEDEPLOY_RESOURCE = /with aws_codedeploy_\w+\./;

function terraformHint(command: unknown, output: unknown): string {
  if (typeof output === 'string' && CODEDEPLOY_RESOURCE.test(output)) {
    return 'A CodeDeploy resource failed. An AWS API emulator without CodeDeploy (moto 5.2.1 answers GetApplication with a timestamp the provider cannot read) needs "deployment": { "codedeploy": false } in the stack file; then run `ddb-ingest up --target aws` again. On AWS, fix the problem above and run it again.';
  }
  if (command === 'init') {
    return 'Check the provider source: set TF_PLUGIN_DIR to a provider mirror, or allow access to registry.terraform.io; for an S3 backend check its -backend-config settings. A checksum mismatch means infra/.terraform.lock.hcl lacks your platform: add it with `terraform -chdir=infra providers lock -platform=<os>_<arch>` (docs/deployment.md).';
  }
  if (command === 'apply') {
    return 'Fix the problem above and run `up --target aws` again: Terraform keeps what was created and plans only what is missing.';
  }
  return 'Fix the problem above (stack file, variables or AWS credentials) and run again.';
}

const COMBINE_FILTERS_HINT = 'Combine patterns with "$or" or arrays of values.';

const credentialsHint = awsHint(
  () =>
    'An emulator accepts any credentials, but the SDK needs some: export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test.',
  'Sign in (aws sso login --profile NAME), pass --profile or set AWS_PROFILE, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; check that the keys are current.',
);

/** With a custom endpoint the hint is about the emulator there; without, about AWS. */
function awsHint(emulator: (endpoint: string, d: Details) => string, aws: string) {
  return (d: Details) => (typeof d.endpoint === 'string' ? emulator(d.endpoint, d) : aws);
}

const SSM_SETUP = (d: Details) =>
  typeof d.setupCommand === 'string'
    ? d.setupCommand
    : `aws ssm put-parameter --type SecureString --name ${String(d.parameterName)} --value "$(openssl rand -hex 32)"`;

// A Record over the union: the compiler refuses a code without its rendering.
const RENDERINGS: Record<ErrorCode, Rendering> = {
  'aws.endpoint-malformed': {
    exit: 2,
    hint: 'Give the scheme, host and port of the endpoint, e.g. http://127.0.0.1:5000 for moto or http://localhost:4566 for LocalStack.',
  },
  'aws.endpoint-unreachable': {
    exit: 1,
    hint: awsHint(
      (endpoint, d) =>
        `Nothing answers at ${endpoint}: start the emulator (LocalStack, moto) there, or fix the endpoint (--endpoint-url, ${String(d.variable ?? 'AWS_ENDPOINT_URL_<SERVICE>')} or AWS_ENDPOINT_URL).`,
      'Check the network connection and --region (or AWS_REGION); a custom endpoint goes in --endpoint-url.',
    ),
  },
  'aws.credentials': {
    exit: 1,
    hint: (d) =>
      typeof d.profile === 'string' && typeof d.endpoint !== 'string'
        ? `Check that profile "${d.profile}" exists (\`aws configure list-profiles\`; ~/.aws/config or AWS_CONFIG_FILE) and is signed in (\`aws sso login --profile ${d.profile}\`), or pass another --profile.`
        : credentialsHint(d),
  },
  'aws.access-denied': {
    exit: 1,
    hint: 'The credentials in use lack the permission named above: use a profile or role that has it (--profile, AWS_PROFILE); docs/deployment.md lists what each command needs.',
  },
  'aws.throttled': {
    exit: 1,
    hint: 'The account or table is at its request limit: wait a little and run again, lower --concurrency or --rate where the command has them, or raise the quota.',
  },
  'aws.service-error': {
    exit: 1,
    hint: awsHint(
      () => 'The emulator failed this call: its log says why (it may not support the operation).',
      'A service-side problem: run again in a minute; if it persists, check the AWS Health Dashboard.',
    ),
  },
  'aws.bad-response': {
    exit: 1,
    hint: awsHint(
      (endpoint) =>
        `Check that ${endpoint} is the AWS API emulator's address (not a web server or proxy) and that it emulates this service; see its log.`,
      'A proxy or captive portal may be answering instead of AWS: check the network, then run again.',
    ),
  },

  'bundle.entry-missing': {
    exit: 2,
    hint: 'Point function.entry in the stack file at your handler source (TypeScript or JavaScript).',
  },
  // A handler that does not build or load is bad input to `up`, as a bad stack file is.
  'bundle.build-failed': { exit: 2, hint: 'Fix the error above in the handler source, then build again.' },
  'bundle.export-missing': {
    exit: 2,
    hint: (d) =>
      'Export the handler function under that name, or set function.handler in the stack file to the property path Lambda should call.' +
      (Array.isArray(d.exports) && d.exports.includes('default')
        ? ` For \`export default { ${String(d.handlerExport)} }\` that is "default.${String(d.handlerExport)}".`
        : ''),
  },
  'bundle.format-mismatch': {
    exit: 2,
    hint: (d) =>
      d.format === 'cjs'
        ? 'Rename it to .mjs, or set "type": "module" in its package.json.'
        : 'Rename it to .cjs, or use import/export.',
  },

  'config.invalid': {
    exit: 2,
    hint: 'Fix the keys above; see "Stack file" in README.md for every key and its default.',
  },
  'config.unreadable': {
    exit: 2,
    hint: 'Pass an existing file with --config, or run without --config to use the defaults.',
  },
  'config.bad-json': { exit: 2 },
  'config.function-required': chooseFunction,
  'config.unknown-function': chooseFunction,
  'config.table-required': chooseStreamTable,
  'config.unknown-table': chooseStreamTable,
  'config.table-without-stream': chooseStreamTable,
  'config.pipeline-required': {
    exit: 2,
    message: (d, moduleMessage) =>
      typeof d.command === 'string'
        ? `${d.command === 'seed' ? 'seed without --table' : d.command} works on the built-in orders pipeline, and this stack has none (it declares ${listOrNone(d.tables)}).`
        : moduleMessage,
    hint: (d) => {
      const tables = Array.isArray(d.tables)
        ? d.tables.filter((t): t is string => typeof t === 'string')
        : [];
      const keep = 'To keep the orders pipeline as well, add "source_table": {} to the stack file.';
      if (d.command === 'seed' && tables.length > 0) {
        return `Fill one of its tables from a template: \`ddb-ingest seed --table ${tables[0]} --template items.json\` (docs/seeding.md). ${keep}`;
      }
      return keep;
    },
  },

  'demo.timeout': {
    exit: 1,
    hint: 'See `ddb-ingest status` and `ddb-ingest logs`; the stack is left running.',
  },

  'dynamo.table-not-active': { exit: 1 },
  'dynamo.source-without-stream': {
    exit: 1,
    hint: (d) =>
      `Enable a ${String(d.streamViewType)} stream on it, or delete the table and run \`ddb-ingest up\` again.`,
  },

  'esm.invalid-filter-pattern': { exit: 2, hint: (d) => `Filter pattern: ${String(d.detail)}.` },
  'esm.too-many-filters': { exit: 2, hint: COMBINE_FILTERS_HINT },
  'esm.invalid-setting': { exit: 2, hint: 'Fix event_source_mapping in the stack file.' },
  'esm.invalid-starting-position': { exit: 2, hint: 'DynamoDB streams support TRIM_HORIZON or LATEST.' },
  'esm.invalid-response-type': { exit: 2, hint: 'Allowed: ReportBatchItemFailures.' },

  'logs.group-missing': {
    exit: 1,
    hint: 'Lambda creates it on the first invocation; check the function name and region.',
  },

  'replay.payload-too-large': { exit: 1, hint: 'Use a smaller --batch-size.' },
  'replay.function-not-found': {
    exit: 1,
    hint: 'Deploy it with `ddb-ingest up --target aws`, and check --region and --profile.',
  },
  'replay.bad-file': { exit: 2, hint: REPLAY_FORMATS_HINT },
  'replay.file-unreadable': { exit: 2, hint: REPLAY_FORMATS_HINT },

  'runtime.worker-missing': {
    exit: 1,
    hint: 'Reinstall ddb-ingest; the package must include src/runtime/worker.mjs.',
  },
  'runtime.bundle-missing': { exit: 1, hint: 'Build the handler first (ddb-ingest up builds it).' },

  'seed.too-many-updates': {
    exit: 2,
    message: (d) => `--updates (${String(d.updates)}) cannot exceed --count (${String(d.count)}).`,
  },
  'seed.too-many-deletes': {
    exit: 2,
    message: (d) => `--deletes (${String(d.deletes)}) cannot exceed --count (${String(d.count)}).`,
  },
  'seed.writes-gave-up': { exit: 1 },
  'seed.write-failed': {
    exit: 1,
    hint: (d) =>
      d.throttled
        ? 'DynamoDB kept throttling the writes; retry with a lower --concurrency or a --rate limit.'
        : 'What was written stays (each item is written whole); run seed again.',
  },
  // The same words as the failure itself would get, with what seed had written.
  'seed.aws-failure': { exit: 1, hint: (d) => hintOf(d.failure, d) },
  'seed.table-missing': {
    exit: 1,
    hint: (d) =>
      typeof d.endpoint === 'string'
        ? `Nothing at ${d.endpoint} has that table: create the tables with \`ddb-ingest up\`, or point --endpoint-url at the stack's DynamoDB.`
        : 'Create the tables with `ddb-ingest up` (or `up --target aws`), and check --region and source_table.name in the stack file.',
  },
  'seed.write-rejected': {
    exit: 1,
    hint: "Check that source_table.hash_key in the stack file is the table's partition key (seed writes it as a string).",
  },
  'seed.generation-failed': {
    exit: 1,
    hint: 'The generator thread stopped (its error is shown above); run seed again, and report it if it happens again.',
  },
  'seed.table-not-found': {
    exit: 1,
    hint: "Check the name given to --table (`ddb-ingest status` lists the stack's tables) and that the stack is up (`ddb-ingest up`).",
  },
  'seed.template-unreadable': { exit: 2, hint: TEMPLATE_HINT },
  'seed.template-invalid-json': { exit: 2, hint: TEMPLATE_HINT },
  'seed.template-not-object': { exit: 2, hint: TEMPLATE_HINT },
  'seed.template-missing-key': {
    exit: 2,
    hint: (d) =>
      `A template must give every key attribute of the table (${(d.keys as string[]).join(', ')}), e.g. "${String(d.attribute)}": "{{string.uuid}}".`,
  },
  'seed.template-constant-key': { exit: 2, hint: TEMPLATE_HINT },
  'seed.template-bad-key': { exit: 2, hint: TEMPLATE_HINT },
  'seed.template-bad-value': { exit: 2, hint: TEMPLATE_HINT },
  'seed.template-bad-expression': {
    exit: 2,
    hint: 'Expressions are faker methods as faker\'s helpers.fake reads them: {{module.method}} or {{module.method(<JSON arguments>)}}, e.g. {{person.firstName}}, {{number.int({"min":1,"max":9})}} (https://fakerjs.dev/api/).',
  },
  'seed.template-not-a-number': {
    exit: 2,
    hint: 'A number attribute (a number key, or a value that is one number-producing expression) needs an expression that gives a number, such as {{number.int}} or {{number.float({"fractionDigits":2})}}.',
  },

  'streams.stream-not-found': {
    exit: 1,
    hint: 'Check that the table exists and has a stream enabled (`ddb-ingest status`); a recreated table has a new stream ARN.',
  },
  'streams.shard-gone': { exit: 1 },
  'streams.no-iterator': { exit: 1 },
  'streams.shard-read-failed': {
    exit: 1,
    hint: 'Check that DynamoDB Local (or the stream) is healthy, then try again.',
  },
  'streams.table-missing': {
    exit: 1,
    hint: 'Deploy the stack (`ddb-ingest up`), and check --target, --region and --profile.',
  },
  'streams.table-has-no-stream': {
    exit: 1,
    hint: 'Enable a NEW_AND_OLD_IMAGES stream on the source table (`ddb-ingest up` creates it with one).',
  },
  'streams.wire-shape': { exit: 2 },
  'streams.sequence-not-in-stream': {
    exit: 1,
    hint: 'Pick a sequence number from `ddb-ingest tail --from trim-horizon --no-follow --json` (dynamodb.SequenceNumber), or start from an ISO time or trim-horizon.',
  },

  'targets.local-not-running': { exit: 1, hint: 'Start it with `ddb-ingest up`.' },
  'targets.aws-only-option': {
    exit: 2,
    message: (d) => `${d.option === 'planOnly' ? '--plan-only' : '--plan-file'} is for the aws target.`,
    hint: 'Add --target aws; the local target has no plan.',
  },
  'targets.endpoint-with-local-up': {
    exit: 2,
    message: (d) =>
      `--endpoint-url ${String(d.endpoint)} cannot be used by the local ${String(d.command ?? 'up')}: it starts its own DynamoDB Local.`,
    hint: 'Choose its port with --port. For an emulator of AWS (moto, LocalStack) use `ddb-ingest up --target aws --endpoint-url URL`; seed, tail, verify, replay and status take --endpoint-url on the local target to read another DynamoDB.',
  },
  'targets.no-stream-recorded': { exit: 1, hint: 'Run `ddb-ingest up` again.' },
  'targets.outputs-no-dlq': {
    exit: 1,
    hint: 'Run `ddb-ingest up --target aws` again to refresh the outputs.',
  },
  'targets.function-not-deployed': {
    exit: 1,
    hint: (d) => {
      const deployed = Array.isArray(d.deployed) ? d.deployed.filter((n) => typeof n === 'string') : [];
      return `Deploy it with \`ddb-ingest up --target aws\`${deployed.length > 0 ? ` (deployed: ${deployed.join(', ')})` : ''}.`;
    },
  },
  'targets.runner-not-started': { exit: 1 },
  'targets.runner-failed': { exit: 1, hint: (d) => `See ${String(d.logFile)}.` },
  'targets.entry-missing': {
    exit: 2,
    hint: (d) =>
      `Point ${typeof d.key === 'string' ? d.key : 'function.entry'} in the stack file at your handler (TypeScript or JavaScript), relative to the stack file.`,
  },
  'targets.bundle-not-built': { exit: 1, hint: 'Run `ddb-ingest up`; it builds the handler.' },
  'targets.jar-missing': { exit: 1, hint: 'Reinstall the dependencies with `npm ci`.' },
  'targets.java-missing': {
    exit: 1,
    hint: 'Install a JDK/JRE 17+ (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) or set JAVA_HOME.',
  },
  'targets.java-too-old': {
    exit: 1,
    hint: 'Install Java 17+ and put it first on the PATH, or set JAVA_HOME.',
  },
  'targets.dynamodb-exited': { exit: 1 },
  'targets.dynamodb-timeout': { exit: 1 },
  'targets.port-in-use': {
    exit: 1,
    hint: (d) => `Stop what uses it (\`lsof -i :${String(d.port)}\`), or pick another port with --port.`,
  },
  'targets.dynamodb-failed': { exit: 1, hint: (d) => (d.logFile ? `See ${String(d.logFile)}.` : undefined) },
  'targets.dynamodb-not-started': { exit: 1 },
  'targets.terraform-missing': { exit: 1, hint: TERRAFORM_INSTALL_HINT },
  'targets.terraform-failed': { exit: 1, hint: (d) => terraformHint(d.command, d.output) },
  'targets.terraform-module-unreadable': { exit: 1 },
  'targets.terraform-module-empty': { exit: 1 },
  'targets.plugin-dir-invalid': {
    exit: 1,
    hint: 'Point TF_PLUGIN_DIR at the folder that contains registry.terraform.io/, or unset it to use the registry.',
  },
  'targets.confirmation-required': {
    exit: 2,
    hint: 'Review the plan and confirm on a terminal, or pass --yes.',
  },
  'targets.no-saved-plan': { exit: 1, hint: 'Run the plan first; apply only applies a saved plan.' },
  'targets.handed-plan-missing': {
    exit: 1,
    hint: "Pass the plan file that `up --target aws --plan-only` wrote (in CI: the plan job's artifact).",
  },
  'targets.plan-names-no-bundle': { exit: 1 },
  'targets.planned-bundle-missing': {
    exit: 1,
    hint: 'Put the function.zip that was uploaded with the plan back at that path (the CI artifact holds both).',
  },
  'targets.planned-bundle-differs': {
    exit: 1,
    hint: 'Apply the plan together with the function.zip it was made with, or make a new plan.',
  },
  'targets.plan-stale': {
    exit: 1,
    hint: 'Make a new plan and have it reviewed again (in CI: re-run the whole workflow); a stale plan is never re-made on its own.',
  },
  'targets.outputs-bad-json': { exit: 1, hint: 'Run `ddb-ingest up --target aws` again to rewrite it.' },
  'canary.rolled-back': {
    exit: 1,
    hint: 'Nothing to undo: live serves the previous version again. Find the cause with `ddb-ingest logs --target aws --level ERROR --since 30m`, fix it and deploy again.',
  },
  'canary.failed': {
    exit: 1,
    hint: 'Check the deployment in the CodeDeploy console (or `aws deploy get-deployment --deployment-id <id>`); `ddb-ingest rollback --target aws` moves live back.',
  },
  'canary.in-progress': {
    exit: 1,
    hint: 'Wait for it to finish, or stop it (CodeDeploy rolls back) with `ddb-ingest rollback --target aws`.',
  },
  'canary.pre-traffic-failed': {
    exit: 1,
    hint: 'live still serves its version and no live batch reached the new one. Fix the handler and run `ddb-ingest up --target aws` again (`--no-pre-traffic-check` skips the check).',
  },
  'canary.nothing-to-roll-back': {
    exit: 1,
    hint: 'No deployment through ddb-ingest brought live to this version; name the version with `ddb-ingest rollback --target aws --to-version <n>`.',
  },
  'canary.not-started': {
    exit: 1,
    hint: (d) =>
      `live has not moved. On AWS, look at the deployment (\`aws deploy get-deployment --deployment-id ${String(d.deploymentId)}\`) and stop it with \`ddb-ingest rollback --target aws\`. An emulator without CodeDeploy deployments (moto) never starts one: set "deployment": { "codedeploy": false } in the stack file, then \`ddb-ingest up --target aws\` moves live at once.`,
  },
  'canary.no-such-version': {
    exit: 1,
    hint: 'Name one of the published versions with `ddb-ingest rollback --target aws --to-version <n>`.',
  },
  'canary.alias-not-found': { exit: 1, hint: 'Deploy the stack first with `ddb-ingest up --target aws`.' },
  'canary.declined': {
    exit: 1,
    hint: 'Nothing was deployed. Deploy a fixed version, or pass --yes to deploy that version anyway.',
  },
  'targets.no-deployment': {
    exit: 1,
    hint: 'Deploy with `ddb-ingest up --target aws`, or pass the --state-dir you deployed from.',
  },

  'targets.state-dir-not-a-directory': {
    exit: 1,
    hint: 'Point --state-dir at a directory, or at a path that does not exist yet.',
  },
  'targets.state-dir-virtual-filesystem': {
    exit: 1,
    hint: 'Pick a directory on a real disk with --state-dir (the default is .ddb-ingest/ beside the stack file).',
  },
  'targets.state-dir-not-writable': {
    exit: 1,
    hint: 'Use a directory you can write to with --state-dir, or fix its permissions.',
  },
  'targets.state-dir-unresponsive': {
    exit: 1,
    hint: 'A network mount may be down; pick a local directory with --state-dir.',
  },
  'targets.state-dir-busy': {
    exit: 1,
    hint: (d) => `Wait for it to finish, or stop it (\`kill ${String(d.pid)}\`) and run again.`,
  },
  'targets.dynamodb-not-answering': {
    exit: 1,
    hint: (d) =>
      `See ${String(d.logFile)}; restart the stack with \`ddb-ingest down\`, then \`ddb-ingest up\` (in memory, its data is lost).`,
  },
  'targets.already-running-in-background': {
    exit: 1,
    hint: 'Stop it with `ddb-ingest down`, then run `ddb-ingest up --foreground` again.',
  },

  'verify.local-key-unreadable': { exit: 1, hint: 'Run `ddb-ingest up` to create it.' },
  'verify.ssm-key-missing': { exit: 1, hint: (d) => `Create it once with: ${SSM_SETUP(d)}` },
  'verify.ssm-key-denied': {
    exit: 1,
    hint: 'Use credentials allowed ssm:GetParameter on that parameter and kms:Decrypt on its key (--profile, AWS_PROFILE), and check --region.',
  },
  'verify.ssm-key-unreadable': {
    exit: 1,
    hint: 'Check the endpoint, the network and your AWS credentials (--profile, --region), then run verify again.',
  },
  'verify.ssm-key-empty': { exit: 1, hint: (d) => `Overwrite it (add --overwrite) with: ${SSM_SETUP(d)}` },
  'verify.table-missing': {
    exit: 1,
    hint: 'Create the tables with `ddb-ingest up`, or check that the stack file names the right tables.',
  },
};

/** The hint `code` gets with these details (for an error that reports another one's cause). */
function hintOf(code: unknown, details: Details): string | undefined {
  const rendering = (RENDERINGS as Record<string, Rendering | undefined>)[String(code)];
  return typeof rendering?.hint === 'function' ? rendering.hint(details) : rendering?.hint;
}

/**
 * What the user reads for an error: a CliError as thrown by src/commands/, or
 * the rendering of a work module's error (UsageError for exit 2, RuntimeError
 * for exit 1). Undefined for anything else, which is a bug.
 */
export function toCliError(err: unknown): CliError | undefined {
  if (err instanceof CliError) return err;
  if (!(err instanceof DdbIngestError)) return undefined;
  const rendering = (RENDERINGS as Record<string, Rendering | undefined>)[err.code];
  if (!rendering) return undefined;
  const details: Details = err.details ?? {};
  const message = rendering.message ? rendering.message(details, err.message) : err.message;
  const hint = typeof rendering.hint === 'function' ? rendering.hint(details) : rendering.hint;
  return rendering.exit === 2 ? new UsageError(message, hint) : new RuntimeError(message, hint);
}
