import { z } from 'zod';
import {
  esmSettingsShape,
  functionName,
  functionSettingsShape,
  streamViewType,
  tableName,
} from './blocks.js';

/**
 * Version 2 of the stack file: `tables` and `functions` maps, Terraform's
 * argument names (aws_dynamodb_table, aws_lambda_function,
 * aws_lambda_event_source_mapping). This file checks each entry on its own;
 * what one entry says about another (a mapping on a table without a stream,
 * an unknown table) is checked in model.ts, once the whole stack is known.
 */

export const ATTRIBUTE_TYPES = ['S', 'N', 'B'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

const indexName = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{3,255}$/, '3-255 characters of a-z, A-Z, 0-9, "_", "-", "."');
const attributeName = z.string().min(1).max(255);
const capacity = z.number().int().min(1).max(40000);
const projection = {
  /** Which attributes the index copies: ALL, KEYS_ONLY, or INCLUDE with `non_key_attributes`. @default "ALL" */
  projection_type: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']).default('ALL'),
  non_key_attributes: z.array(attributeName).min(1).max(100).optional(),
};

const globalSecondaryIndex = z
  .object({
    name: indexName,
    hash_key: attributeName,
    range_key: attributeName.optional(),
    ...projection,
    /** PROVISIONED tables only. */
    read_capacity: capacity.optional(),
    write_capacity: capacity.optional(),
  })
  .strict();

const localSecondaryIndex = z
  .object({
    name: indexName,
    /** An LSI shares the table's hash key; only its range key differs. */
    range_key: attributeName,
    ...projection,
  })
  .strict();

type Issue = { path: (string | number)[]; message: string };

function checkProjection(
  index: { projection_type: string; non_key_attributes?: string[] | undefined },
  at: (string | number)[],
  issues: Issue[],
): void {
  if (index.projection_type === 'INCLUDE' && !index.non_key_attributes) {
    issues.push({ path: [...at, 'non_key_attributes'], message: 'required when projection_type is INCLUDE' });
  }
  if (index.projection_type !== 'INCLUDE' && index.non_key_attributes) {
    issues.push({
      path: [...at, 'non_key_attributes'],
      message: `only with projection_type INCLUDE (this index projects ${index.projection_type})`,
    });
  }
}

export const tableSchema = z
  .object({
    hash_key: attributeName,
    range_key: attributeName.optional(),
    /**
     * The type of every key attribute of the table and its indexes (only
     * those: DynamoDB refuses a definition no key uses).
     */
    attributes: z.record(attributeName, z.enum(ATTRIBUTE_TYPES)),
    global_secondary_indexes: z.array(globalSecondaryIndex).max(20).default([]),
    local_secondary_indexes: z.array(localSecondaryIndex).max(5).default([]),
    /** A Number attribute holding an expiry in epoch seconds; absent: no TTL. */
    ttl_attribute: attributeName.optional(),
    /** Absent: the table has no stream, so no function can read it. */
    stream_view_type: streamViewType.optional(),
    billing_mode: z.enum(['PAY_PER_REQUEST', 'PROVISIONED']).default('PAY_PER_REQUEST'),
    /** PROVISIONED tables only. */
    read_capacity: capacity.optional(),
    write_capacity: capacity.optional(),
    deletion_protection: z.boolean().default(false),
    /**
     * ddb-ingest's own key (not Terraform's): allow more than two mappings on
     * this table's stream. AWS throttles the third reader of a DynamoDB
     * stream, so without it a third mapping is refused. @default false
     */
    allow_more_readers: z.boolean().default(false),
  })
  .strict()
  .superRefine((table, ctx) => {
    const issues: Issue[] = [];
    const declared = new Set(Object.keys(table.attributes));
    const used = new Set<string>();
    const needs = (attribute: string, path: (string | number)[]) => {
      used.add(attribute);
      if (!declared.has(attribute)) {
        issues.push({
          path,
          message: `"${attribute}" is not declared in attributes (give it a type: S, N or B)`,
        });
      }
    };
    needs(table.hash_key, ['hash_key']);
    if (table.range_key !== undefined) needs(table.range_key, ['range_key']);
    const names = new Set<string>();
    const unique = (name: string, path: (string | number)[]) => {
      if (names.has(name)) issues.push({ path, message: `index name "${name}" is used twice` });
      names.add(name);
    };
    table.global_secondary_indexes.forEach((gsi, i) => {
      const at = ['global_secondary_indexes', i];
      unique(gsi.name, [...at, 'name']);
      needs(gsi.hash_key, [...at, 'hash_key']);
      if (gsi.range_key !== undefined) needs(gsi.range_key, [...at, 'range_key']);
      checkProjection(gsi, at, issues);
      checkCapacity(table.billing_mode, gsi, at, issues);
    });
    table.local_secondary_indexes.forEach((lsi, i) => {
      const at = ['local_secondary_indexes', i];
      unique(lsi.name, [...at, 'name']);
      if (table.range_key === undefined) {
        issues.push({ path: at, message: 'a local secondary index needs the table to have a range_key' });
      }
      needs(lsi.range_key, [...at, 'range_key']);
      checkProjection(lsi, at, issues);
    });
    for (const attribute of declared) {
      if (!used.has(attribute)) {
        issues.push({
          path: ['attributes', attribute],
          message:
            'no key or index uses it: declare only key attributes (DynamoDB refuses the others; other attributes need no declaration)',
        });
      }
    }
    if (table.ttl_attribute !== undefined) {
      const type = table.attributes[table.ttl_attribute];
      if (type !== undefined && type !== 'N') {
        issues.push({
          path: ['ttl_attribute'],
          message: `"${table.ttl_attribute}" is declared as ${type}: TTL reads a Number of epoch seconds`,
        });
      }
    }
    checkCapacity(table.billing_mode, table, [], issues);
    for (const issue of issues) ctx.addIssue({ code: 'custom', ...issue });
  });

function checkCapacity(
  billingMode: string,
  target: { read_capacity?: number | undefined; write_capacity?: number | undefined },
  at: (string | number)[],
  issues: Issue[],
): void {
  for (const key of ['read_capacity', 'write_capacity'] as const) {
    if (billingMode === 'PROVISIONED' && target[key] === undefined) {
      issues.push({ path: [...at, key], message: 'required when billing_mode is PROVISIONED' });
    }
    if (billingMode !== 'PROVISIONED' && target[key] !== undefined) {
      issues.push({
        path: [...at, key],
        message: 'only with billing_mode PROVISIONED (PAY_PER_REQUEST tables have no capacity)',
      });
    }
  }
}

/** One table as declared, every default filled in. */
export type TableSpec = z.output<typeof tableSchema>;

export const TABLE_ACCESS = ['read', 'write', 'read_write'] as const;
export type TableAccess = (typeof TABLE_ACCESS)[number];

export const eventSourceSchema = z
  .object({
    /** The table whose stream this mapping reads. */
    table: tableName,
    ...esmSettingsShape,
  })
  .strict();

export type EventSourceSpec = z.output<typeof eventSourceSchema>;

export const functionSchema = z
  .object({
    /** The handler source (TypeScript or JavaScript), relative to the stack file. */
    entry: z.string().min(1),
    ...functionSettingsShape,
    /**
     * The tables the function reads and writes: a list (read and write) or a
     * map of table name to "read", "write" or "read_write". Its IAM policy
     * and its TABLE_<NAME> variables come from this. @default []
     */
    tables: z
      .union([z.array(tableName), z.record(tableName, z.enum(TABLE_ACCESS))], {
        error: 'must be a list of table names, or a map of table name to "read", "write" or "read_write"',
      })
      .default([]),
    /** The streams it is invoked from: one mapping per table. @default [] */
    event_sources: z.array(eventSourceSchema).default([]),
  })
  .strict();

export type FunctionSpec = z.output<typeof functionSchema>;

/** The version 2 keys of the stack file. */
export const v2Shape = {
  tables: z.record(tableName, tableSchema).optional(),
  functions: z.record(functionName, functionSchema).optional(),
};
