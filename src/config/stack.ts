import { z } from 'zod';
import { DEFAULT_SOURCE_HASH_KEY, SINK_HASH_KEY } from '../../lambda/src/domain/keys.js';
import {
  esmSettingsShape,
  functionName,
  functionSettingsShape,
  streamViewType,
  tableName,
} from './blocks.js';
import { BUILT_IN_HANDLER_ENTRY } from './constants.js';
import { ConfigError } from './errors.js';
import { buildStackModel, type StackModel } from './model.js';
import { readStackFile, STACK_FILE_NAME, type StackFileText, stackFileJson } from './stackFile.js';
import { v2Shape } from './v2.js';

export { BUILT_IN_HANDLER_ENTRY } from './constants.js';

/** CodeDeploy's predefined configurations for Lambda (compute platform Lambda). */
export const DEPLOYMENT_CONFIGS = [
  'CodeDeployDefault.LambdaCanary10Percent5Minutes',
  'CodeDeployDefault.LambdaCanary10Percent10Minutes',
  'CodeDeployDefault.LambdaCanary10Percent15Minutes',
  'CodeDeployDefault.LambdaCanary10Percent30Minutes',
  'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
  'CodeDeployDefault.LambdaLinear10PercentEvery2Minutes',
  'CodeDeployDefault.LambdaLinear10PercentEvery3Minutes',
  'CodeDeployDefault.LambdaLinear10PercentEvery10Minutes',
  'CodeDeployDefault.LambdaAllAtOnce',
] as const;

/**
 * The stack file `ddb-ingest.json`. Keys use Terraform's argument names so that
 * `infra/` can `jsondecode(file(...))` the same file: the local and the deployed
 * stack cannot drift. Every key has a default; unknown keys are refused so a
 * typo never silently falls back to a default. Version 2 adds `tables` and
 * `functions` (v2.ts); model.ts turns either shape into one {@link StackModel}.
 */
export const stackSchema = z
  .object({
    /** Prefix for everything the stack creates (log groups, state, alarms). */
    name: z
      .string()
      .regex(/^[a-zA-Z0-9-]{1,40}$/, '1-40 characters of a-z, A-Z, 0-9, "-"')
      .default('ddb-ingest'),
    /** AWS region of the aws target; the local target reports it too. */
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1')
      .default('us-east-1'),
    source_table: z
      .object({
        name: tableName.default('ddb-ingest-orders'),
        hash_key: z.string().min(1).default(DEFAULT_SOURCE_HASH_KEY),
        stream_view_type: streamViewType.default('NEW_AND_OLD_IMAGES'),
      })
      .strict()
      .prefault({}),
    sink_table: z
      .object({
        name: tableName.default('ddb-ingest-ingested'),
        hash_key: z.string().min(1).default(SINK_HASH_KEY),
      })
      .strict()
      .prefault({}),
    function: z
      .object({
        name: functionName.default('ddb-ingest-ingest'),
        /** The handler source (TypeScript or JavaScript), relative to the stack file. */
        entry: z.string().min(1).default(BUILT_IN_HANDLER_ENTRY),
        ...functionSettingsShape,
      })
      .strict()
      .prefault({}),
    event_source_mapping: z.object(esmSettingsShape).strict().prefault({}),
    /** How a new function version goes live on the aws target (docs/deployment.md). */
    deployment: z
      .object({
        /**
         * Whether new versions go live through CodeDeploy (canary or linear
         * shift, alarms that roll back, `rollback` through CodeDeploy's
         * history). Off, the stack has no CodeDeploy resources, `up` moves
         * `live` to each new version at once and `rollback` moves it back at
         * once, with no canary and no automatic rollback: for an AWS API
         * emulator without CodeDeploy deployments (moto 5.2.1). null = on
         * for AWS, off when CodeDeploy's endpoint is a custom one
         * (--endpoint-url, AWS_ENDPOINT_URL[_CODEDEPLOY]); set true for an
         * emulator that runs CodeDeploy deployments. @default null
         */
        codedeploy: z.boolean().nullable().default(null),
        /**
         * CodeDeploy's traffic shifting from the `live` version to the new one;
         * the alarms on `live` roll a canary or linear shift back.
         * `CodeDeployDefault.LambdaAllAtOnce` is for dev stacks.
         * @default "CodeDeployDefault.LambdaCanary10Percent5Minutes"
         */
        config: z.enum(DEPLOYMENT_CONFIGS).default('CodeDeployDefault.LambdaCanary10Percent5Minutes'),
        /**
         * Before any traffic moves, invoke the new version with the last
         * records the pipeline already applied; a function error or a
         * reported batch item failure stops the deployment. null = on for
         * the built-in handler (its sequence guard makes replays no-ops), off
         * for your own `function.entry`: turn it on only if your handler is
         * idempotent, or the replayed records are applied twice.
         * @default null
         */
        pre_traffic_check: z.boolean().nullable().default(null),
        /** How many already-applied records the pre-traffic check replays, 1-100. @default 10 */
        pre_traffic_records: z.number().int().min(1).max(100).default(10),
      })
      .strict()
      .prefault({}),
    ...v2Shape,
  })
  .strict()
  .superRefine((stack, ctx) => {
    if (stack.source_table.name === stack.sink_table.name) {
      ctx.addIssue({
        code: 'custom',
        path: ['sink_table', 'name'],
        message: `must differ from source_table.name ("${stack.source_table.name}"): the handler would write its projection into the table it reads`,
      });
    }
    if (stack.function.entry === BUILT_IN_HANDLER_ENTRY && stack.sink_table.hash_key !== SINK_HASH_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['sink_table', 'hash_key'],
        message: `must be "${SINK_HASH_KEY}" with the built-in handler, not "${stack.sink_table.hash_key}": its sink items are keyed ${SINK_HASH_KEY} (ORDER#<orderId>, CUSTOMER#<customerId>), which verify checks (or point function.entry at a handler of your own)`,
      });
    }
    const view = stack.source_table.stream_view_type;
    if (stack.function.entry === BUILT_IN_HANDLER_ENTRY && (view === 'KEYS_ONLY' || view === 'OLD_IMAGE')) {
      ctx.addIssue({
        code: 'custom',
        path: ['source_table', 'stream_view_type'],
        message: `${view} cannot be used with the built-in handler: it projects each change from the new image, so it needs NEW_AND_OLD_IMAGES or NEW_IMAGE (or point function.entry at a handler of your own)`,
      });
    }
  });

export type Stack = z.infer<typeof stackSchema>;

/**
 * Whether deployments run the pre-traffic check: `deployment.pre_traffic_check`,
 * or when unset, only for the built-in handler (its sequence guard makes the
 * replayed records no-ops; another handler might apply them twice).
 */
export function preTrafficCheckEnabled(stack: Stack): boolean {
  return stack.deployment.pre_traffic_check ?? stack.function.entry === BUILT_IN_HANDLER_ENTRY;
}

export { STACK_FILE_NAME } from './stackFile.js';

export interface LoadedStack {
  stack: Stack;
  /** Absolute path of the stack file (it may not exist: then the defaults apply). */
  file: string;
  /** Directory that relative paths in the stack file are resolved against. */
  dir: string;
  exists: boolean;
  /** Every table and function of the stack, whichever shape the file has. */
  model: StackModel;
}

/** Parses and validates a stack object; errors name the key and what is allowed. */
export function parseStack(raw: unknown, source = STACK_FILE_NAME): Stack {
  return parseStackModel(raw, source).stack;
}

/**
 * Parses and validates a stack object of either version and builds its
 * {@link StackModel}; what is wrong within an entry and across entries (an
 * unknown table, a mapping on a table without a stream) is reported together,
 * each line naming its key.
 */
export function parseStackModel(raw: unknown, source = STACK_FILE_NAME): { stack: Stack; model: StackModel } {
  const result = stackSchema.safeParse(raw);
  if (!result.success) {
    invalid(
      source,
      result.error.issues.map((issue) => ({ path: issue.path, message: describeIssue(issue) })),
    );
  }
  const { model, issues } = buildStackModel(result.data, raw);
  if (issues.length > 0) invalid(source, issues);
  return { stack: result.data, model };
}

function invalid(source: string, issues: { path: PropertyKey[]; message: string }[]): never {
  const lines = issues.map(
    (issue) => `  ${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`,
  );
  throw new ConfigError('config.invalid', `Invalid stack file ${source}:\n${lines.join('\n')}`, {
    details: { source, keys: issues.map((issue) => issue.path.map(String).join('.')) },
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_type':
      return `must be ${issue.expected}`;
    case 'invalid_key':
      // A map key (a table or function name) that breaks its naming rule.
      return issue.issues.map((inner) => describeIssue(inner as z.core.$ZodIssue)).join('; ');
    case 'too_small':
      return `must be >= ${String(issue.minimum)}${issue.origin === 'array' ? ' entries' : ''}`;
    case 'too_big':
      return `must be <= ${String(issue.maximum)}${issue.origin === 'array' ? ' entries' : ''}`;
    default:
      return issue.message;
  }
}

/** Loads `ddb-ingest.json` (or `configPath`); a missing default file means the default stack. */
export async function loadStack(configPath: string | undefined, cwd = process.cwd()): Promise<LoadedStack> {
  return validateStackFile(await readStackFile(configPath, cwd));
}

/** Validates a stack file as read (stackFile.ts) into its {@link LoadedStack}. */
export function validateStackFile(read: StackFileText): LoadedStack {
  const raw = stackFileJson(read);
  const parsed = read.text === undefined ? parseStackModel(raw) : parseStackModel(raw, read.file);
  return { ...parsed, file: read.file, dir: read.dir, exists: read.text !== undefined };
}
