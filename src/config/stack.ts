import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ENVIRONMENT_KEY_PATTERN, reservedKeysIn } from '../runtime/environment.js';
import { ConfigError } from './errors.js';

/**
 * The stack file `ddb-ingest.json`. Keys use Terraform's argument names so that
 * `infra/` can `jsondecode(file(...))` the same file: the local and the deployed
 * stack cannot drift. Every key has a default; unknown keys are refused so a
 * typo never silently falls back to a default.
 */
const tableName = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{3,255}$/, '3-255 characters of a-z, A-Z, 0-9, "_", "-", "."');

const filterPattern = z.object({ pattern: z.string() }).strict();

/** The default handler source; the pre-traffic check is on by default only for it. */
export const BUILT_IN_HANDLER_ENTRY = 'lambda/src/handler.ts';

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
        hash_key: z.string().min(1).default('orderId'),
        stream_view_type: z
          .enum(['NEW_AND_OLD_IMAGES', 'NEW_IMAGE', 'OLD_IMAGE', 'KEYS_ONLY'])
          .default('NEW_AND_OLD_IMAGES'),
      })
      .strict()
      .prefault({}),
    sink_table: z
      .object({
        name: tableName.default('ddb-ingest-ingested'),
        hash_key: z.string().min(1).default('pk'),
      })
      .strict()
      .prefault({}),
    function: z
      .object({
        name: z
          .string()
          .regex(/^[a-zA-Z0-9-_]{1,64}$/, '1-64 characters of a-z, A-Z, 0-9, "-", "_"')
          .default('ddb-ingest-ingest'),
        /** The handler source (TypeScript or JavaScript), relative to the stack file. */
        entry: z.string().min(1).default(BUILT_IN_HANDLER_ENTRY),
        /**
         * The function Lambda calls: a property path in the module `entry`
         * exports (`handler`, or `handlers.main` for a nested one), as the
         * part of Lambda's handler setting after the module name.
         */
        handler: z
          .string()
          .regex(
            /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/,
            'a JavaScript identifier, or a dotted property path such as handlers.main',
          )
          .default('handler'),
        runtime: z.enum(['nodejs22.x', 'nodejs20.x']).default('nodejs22.x'),
        /** Seconds, 1-900, as on AWS. */
        timeout: z.number().int().min(1).max(900).default(30),
        /** MB, 128-10240, as on AWS. */
        memory_size: z.number().int().min(128).max(10240).default(256),
        /**
         * Plain configuration only: secrets belong in SSM, never here. Names
         * follow Lambda's rule, and the variables Lambda reserves are refused
         * (TZ, LANG, PATH and NODE_PATH may be set, as on Lambda).
         */
        environment: z
          .record(z.string(), z.string())
          .superRefine((environment, ctx) => {
            const reserved = reservedKeysIn(Object.keys(environment));
            if (reserved.length > 0) {
              ctx.addIssue({
                code: 'custom',
                message: `Lambda reserves ${reserved.join(', ')}: the runtime sets ${reserved.length > 1 ? 'them' : 'it'}, a function cannot`,
              });
            }
            for (const key of Object.keys(environment)) {
              if (!reserved.includes(key) && !ENVIRONMENT_KEY_PATTERN.test(key)) {
                ctx.addIssue({
                  code: 'custom',
                  path: [key],
                  message: 'a letter, then letters, digits or "_"',
                });
              }
            }
          })
          .default({}),
        /**
         * X-Ray tracing on the aws target: `Active` samples and records
         * invocations (and grants the function the X-Ray write actions);
         * `PassThrough` traces only what an upstream caller already traces.
         * The local runtime does not trace. @default "PassThrough"
         */
        tracing: z.enum(['PassThrough', 'Active']).default('PassThrough'),
        /**
         * Reserved concurrency on the aws target: caps the function (and
         * guarantees it that much of the account's pool); null = unreserved.
         * Keep it at least parallelization_factor x the stream's shards, or
         * batches throttle. 0 would stop the pipeline, so it is refused.
         * @default null
         */
        reserved_concurrency: z.number().int().min(1).max(10000).nullable().default(null),
      })
      .strict()
      .prefault({}),
    event_source_mapping: z
      .object({
        batch_size: z.number().int().min(1).max(10000).default(100),
        maximum_batching_window_in_seconds: z.number().int().min(0).max(300).default(0),
        starting_position: z.enum(['TRIM_HORIZON', 'LATEST']).default('TRIM_HORIZON'),
        parallelization_factor: z.number().int().min(1).max(10).default(1),
        bisect_batch_on_function_error: z.boolean().default(true),
        maximum_retry_attempts: z.number().int().min(-1).max(10000).default(5),
        maximum_record_age_in_seconds: z
          .number()
          .int()
          .refine((v) => v === -1 || (v >= 60 && v <= 604800), '-1, or 60 to 604800')
          .default(3600),
        function_response_types: z
          .array(z.enum(['ReportBatchItemFailures']))
          .default(['ReportBatchItemFailures']),
        filter_criteria: z
          .object({ filter: z.array(filterPattern).max(5).default([]) })
          .strict()
          .prefault({}),
        enabled: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** How a new function version goes live on the aws target (docs/deployment.md). */
    deployment: z
      .object({
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

export const STACK_FILE_NAME = 'ddb-ingest.json';

export interface LoadedStack {
  stack: Stack;
  /** Absolute path of the stack file (it may not exist: then the defaults apply). */
  file: string;
  /** Directory that relative paths in the stack file are resolved against. */
  dir: string;
  exists: boolean;
}

/** Parses and validates a stack object; errors name the key and what is allowed. */
export function parseStack(raw: unknown, source = STACK_FILE_NAME): Stack {
  const result = stackSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(top level)';
    return `  ${key}: ${describeIssue(issue)}`;
  });
  throw new ConfigError('config.invalid', `Invalid stack file ${source}:\n${lines.join('\n')}`, {
    details: { source },
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
  const file = path.resolve(cwd, configPath ?? STACK_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && configPath === undefined) {
      return { stack: parseStack({}), file, dir: path.dirname(file), exists: false };
    }
    throw new ConfigError('config.unreadable', `Cannot read stack file ${file}: ${(err as Error).message}`, {
      cause: err,
      details: { file },
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      'config.bad-json',
      `Stack file ${file} is not valid JSON: ${(err as Error).message}`,
      {
        cause: err,
        details: { file },
      },
    );
  }
  return { stack: parseStack(raw, file), file, dir: path.dirname(file), exists: true };
}
