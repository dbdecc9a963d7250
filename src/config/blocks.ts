import { z } from 'zod';
import { ENVIRONMENT_KEY_PATTERN, reservedKeysIn } from '../runtime/environment.js';
import { DEFAULT_BATCH_SIZE } from './constants.js';

/**
 * The pieces both stack file shapes share: the single-pipeline keys
 * (`source_table`, `function`, `event_source_mapping`) and version 2's
 * `tables` and `functions` validate a table name, a function and a mapping
 * with the same rules and defaults.
 */

/** DynamoDB's rule for table names. */
export const tableName = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{3,255}$/, '3-255 characters of a-z, A-Z, 0-9, "_", "-", "."');

/** Lambda's rule for function names (the plain name, not an ARN). */
export const functionName = z
  .string()
  .regex(/^[a-zA-Z0-9-_]{1,64}$/, '1-64 characters of a-z, A-Z, 0-9, "-", "_"');

export const STREAM_VIEW_TYPES = ['NEW_AND_OLD_IMAGES', 'NEW_IMAGE', 'OLD_IMAGE', 'KEYS_ONLY'] as const;
export const streamViewType = z.enum(STREAM_VIEW_TYPES);

const filterPattern = z.object({ pattern: z.string() }).strict();

/**
 * The keys of a function other than its name and entry: what Lambda runs it
 * with. Every key has the default it has in the single-pipeline `function`.
 */
export const functionSettingsShape = {
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
};

/** An event source mapping's settings under Terraform's names, with AWS's ranges and our defaults. */
export const esmSettingsShape = {
  batch_size: z.number().int().min(1).max(10000).default(DEFAULT_BATCH_SIZE),
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
  function_response_types: z.array(z.enum(['ReportBatchItemFailures'])).default(['ReportBatchItemFailures']),
  filter_criteria: z
    .object({ filter: z.array(filterPattern).max(5).default([]) })
    .strict()
    .prefault({}),
  enabled: z.boolean().default(true),
};

export const esmSettingsSchema = z.object(esmSettingsShape).strict();

/** One event source mapping's settings, every default filled in. */
export type EsmSettingsBlock = z.output<typeof esmSettingsSchema>;
