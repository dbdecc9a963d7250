import type { EsmSettingsBlock } from './blocks.js';
import type { Stack } from './stack.js';
import type { AttributeType, TableAccess, TableSpec } from './v2.js';

/**
 * The one shape the rest of ddb-ingest works from, whichever version of the
 * stack file was written: every table, every function, and for each function
 * its mappings. A version 1 file (the single-pipeline keys) becomes two tables
 * and one function that mean exactly what they meant before; a version 2 file
 * is its `tables` and `functions` with every default filled in.
 */
export interface StackModel {
  /** 1: only the single-pipeline keys; 2: the file declares `tables` or `functions`. */
  version: 1 | 2;
  name: string;
  region: string;
  deployment: Stack['deployment'];
  /** By table name. */
  tables: Record<string, TableModel>;
  /** By function name. */
  functions: Record<string, FunctionModel>;
  /**
   * The built-in orders pipeline (`source_table` -> `function` ->
   * `sink_table`), when the file has it: what the orders `seed` and `verify`
   * work on. A version 1 file always has it; a version 2 file only when it
   * writes one of the single-pipeline keys.
   */
  pipeline?: BuiltInPipeline;
}

export interface BuiltInPipeline {
  sourceTable: string;
  sinkTable: string;
  function: string;
}

export interface TableModel extends TableSpec {
  name: string;
}

export interface FunctionModel {
  name: string;
  /** Relative to the stack file. */
  entry: string;
  handler: string;
  runtime: Stack['function']['runtime'];
  timeout: number;
  memory_size: number;
  environment: Record<string, string>;
  tracing: Stack['function']['tracing'];
  reserved_concurrency: number | null;
  /** What it may do to each table it names: its IAM policy and its TABLE_<NAME> variables. */
  tables: Record<string, TableAccess>;
  /** One mapping per table stream it is invoked from. */
  event_sources: EventSourceModel[];
}

/** A mapping: the table whose stream it reads and the `event_source_mapping` settings. */
export interface EventSourceModel extends EsmSettingsBlock {
  table: string;
}

/** The keys of the single-pipeline (version 1) shape. */
export const PIPELINE_KEYS = ['source_table', 'sink_table', 'function', 'event_source_mapping'] as const;

/**
 * The keys the built-in pipeline's table and function instances have in the
 * Terraform module (infra/locals.tf; fixed so infra/moved.tf can name them).
 * Other entries are keyed by name, so next to the built-in pipeline these
 * names are taken.
 */
export const PIPELINE_INSTANCE_KEYS = {
  tables: ['source_table', 'sink_table'],
  function: 'function',
} as const;

const reservedName = (name: string) =>
  `"${name}" is the key of the built-in pipeline's ${name === 'function' ? 'function' : name} in the aws target's Terraform (module.${name === 'function' ? 'function' : 'table'}["${name}"]): rename it, or drop the single-pipeline keys`;

/** AWS throttles the third concurrent reader of a DynamoDB stream. */
export const MAX_STREAM_READERS = 2;

/** A problem found across entries, with the path of the key to fix. */
export interface ModelIssue {
  path: (string | number)[];
  message: string;
}

/**
 * The variable a function reads a table's name from: `TABLE_` and the name in
 * upper case, with `-` and `.` as `_` (the contract in shared/spec/cli.md).
 */
export function tableEnvironmentName(table: string): string {
  return `TABLE_${table.toUpperCase().replace(/[-.]/g, '_')}`;
}

/** The `TABLE_<NAME>` variables of a function: one per table in its `tables`. */
export function tableEnvironment(fn: Pick<FunctionModel, 'tables'>): Record<string, string> {
  return Object.fromEntries(Object.keys(fn.tables).map((table) => [tableEnvironmentName(table), table]));
}

/** Every mapping of the stack, one per (function, table stream), functions in file order. */
export function stackMappings(model: StackModel): { fn: FunctionModel; source: EventSourceModel }[] {
  return Object.values(model.functions).flatMap((fn) => fn.event_sources.map((source) => ({ fn, source })));
}

/** Whether a raw stack file object uses the version 2 keys. */
export function isVersion2(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && ('tables' in raw || 'functions' in raw);
}

function keyTable(name: string, hashKey: string, streamViewType?: TableSpec['stream_view_type']): TableModel {
  const attributes: Record<string, AttributeType> = { [hashKey]: 'S' };
  return {
    name,
    hash_key: hashKey,
    attributes,
    global_secondary_indexes: [],
    local_secondary_indexes: [],
    ...(streamViewType ? { stream_view_type: streamViewType } : {}),
    billing_mode: 'PAY_PER_REQUEST',
    deletion_protection: false,
    allow_more_readers: false,
  };
}

/** The built-in pipeline of the single-pipeline keys, as two tables and one function. */
export function pipelineModel(stack: Stack): Pick<StackModel, 'tables' | 'functions' | 'pipeline'> {
  const { source_table: source, sink_table: sink, function: fn, event_source_mapping: esm } = stack;
  return {
    tables: {
      [source.name]: keyTable(source.name, source.hash_key, source.stream_view_type),
      [sink.name]: keyTable(sink.name, sink.hash_key),
    },
    functions: {
      [fn.name]: {
        ...fn,
        // What infra/iam.tf has always granted it: the sink's item actions; the source only through its stream.
        tables: { [sink.name]: 'read_write' },
        event_sources: [{ table: source.name, ...esm }],
      },
    },
    pipeline: { sourceTable: source.name, sinkTable: sink.name, function: fn.name },
  };
}

/** The model of the single-pipeline keys alone (what a version 1 file means). */
export function singlePipelineModel(stack: Stack): StackModel {
  return {
    version: 1,
    name: stack.name,
    region: stack.region,
    deployment: stack.deployment,
    ...pipelineModel(stack),
  };
}

/**
 * The model of a parsed stack, and what is wrong across its entries. `raw`
 * (the object the file held) decides whether a version 2 file also has the
 * built-in pipeline: only when it writes one of {@link PIPELINE_KEYS} (their
 * defaults alone do not add the orders tables to a stack of your own).
 */
export function buildStackModel(
  stack: Stack,
  raw: unknown = {},
): { model: StackModel; issues: ModelIssue[] } {
  const issues: ModelIssue[] = [];
  const version = isVersion2(raw) ? 2 : 1;
  const written = (key: string) => typeof raw === 'object' && raw !== null && key in raw;
  const withPipeline = version === 1 || PIPELINE_KEYS.some(written);
  const base = withPipeline ? pipelineModel(stack) : { tables: {}, functions: {} };
  const tables: Record<string, TableModel> = { ...base.tables };
  const functions: Record<string, FunctionModel> = { ...base.functions };

  for (const [name, spec] of Object.entries(stack.tables ?? {})) {
    if (withPipeline && (PIPELINE_INSTANCE_KEYS.tables as readonly string[]).includes(name)) {
      issues.push({ path: ['tables', name], message: reservedName(name) });
      continue;
    }
    if (tables[name]) {
      issues.push({
        path: ['tables', name],
        message: `table "${name}" is also the single-pipeline ${name === stack.source_table.name ? 'source_table' : 'sink_table'}: declare it once`,
      });
      continue;
    }
    tables[name] = { name, ...spec };
  }
  for (const [name, spec] of Object.entries(stack.functions ?? {})) {
    if (withPipeline && name === PIPELINE_INSTANCE_KEYS.function) {
      issues.push({ path: ['functions', name], message: reservedName(name) });
      continue;
    }
    if (functions[name]) {
      issues.push({
        path: ['functions', name],
        message: `function "${name}" is also the single-pipeline function.name: declare it once`,
      });
      continue;
    }
    const access: Record<string, TableAccess> = Array.isArray(spec.tables)
      ? Object.fromEntries(spec.tables.map((t) => [t, 'read_write' as const]))
      : { ...spec.tables };
    functions[name] = { name, ...spec, tables: access };
    checkFunction(functions[name], spec.tables, tables, issues);
  }
  checkReaders(functions, tables, issues, new Set(Object.keys(stack.tables ?? {})));

  return {
    model: {
      version,
      name: stack.name,
      region: stack.region,
      deployment: stack.deployment,
      tables,
      functions,
      ...(base.pipeline ? { pipeline: base.pipeline } : {}),
    },
    issues,
  };
}

const declaredList = (tables: Record<string, TableModel>) => {
  const names = Object.keys(tables);
  return names.length > 0 ? `declared: ${names.join(', ')}` : 'no table is declared under tables';
};

function checkFunction(
  fn: FunctionModel,
  written: string[] | Record<string, TableAccess>,
  tables: Record<string, TableModel>,
  issues: ModelIssue[],
): void {
  const at = ['functions', fn.name];
  const keys: [string, string | number][] = Array.isArray(written)
    ? written.map((t, i) => [t, i])
    : Object.keys(written).map((t) => [t, t]);
  const variables = new Map<string, string>();
  for (const [table, key] of keys) {
    if (!tables[table]) {
      issues.push({
        path: [...at, 'tables', key],
        message: `unknown table "${table}" (${declaredList(tables)})`,
      });
    }
    const variable = tableEnvironmentName(table);
    const other = variables.get(variable);
    if (other !== undefined && other !== table) {
      issues.push({
        path: [...at, 'tables', key],
        message: `"${table}" and "${other}" would both be ${variable}: rename one of the tables`,
      });
    }
    variables.set(variable, table);
    if (fn.environment[variable] !== undefined) {
      issues.push({
        path: [...at, 'environment', variable],
        message: `set by ddb-ingest to the name of table "${table}" (from tables): remove it from environment`,
      });
    }
  }
  const mapped = new Set<string>();
  fn.event_sources.forEach((source, i) => {
    const path = [...at, 'event_sources', i, 'table'];
    const table = tables[source.table];
    if (!table) {
      issues.push({ path, message: `unknown table "${source.table}" (${declaredList(tables)})` });
    } else if (!table.stream_view_type) {
      issues.push({
        path,
        message: `table "${source.table}" has no stream: set tables.${source.table}.stream_view_type (NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE or KEYS_ONLY)`,
      });
    }
    if (mapped.has(source.table)) {
      issues.push({
        path,
        message: `a second mapping of ${fn.name} on "${source.table}": one mapping per function and stream (merge their filters)`,
      });
    }
    mapped.add(source.table);
  });
}

/** More than two readers of one stream are refused unless the table allows them. */
function checkReaders(
  functions: Record<string, FunctionModel>,
  tables: Record<string, TableModel>,
  issues: ModelIssue[],
  declaredUnderTables: Set<string>,
): void {
  const readers = new Map<string, { fn: string; index: number }[]>();
  for (const fn of Object.values(functions)) {
    fn.event_sources.forEach((source, index) => {
      const list = readers.get(source.table) ?? [];
      if (!list.some((r) => r.fn === fn.name)) list.push({ fn: fn.name, index });
      readers.set(source.table, list);
    });
  }
  for (const [table, list] of readers) {
    const spec = tables[table];
    if (!spec || list.length <= MAX_STREAM_READERS || spec.allow_more_readers) continue;
    const fix = declaredUnderTables.has(table)
      ? `set tables.${table}.allow_more_readers to true to accept that`
      : `declare "${table}" under tables (instead of source_table) with allow_more_readers: true to accept that`;
    // The built-in pipeline's function comes first, so the readers past the limit are always under functions.
    for (const extra of list.slice(MAX_STREAM_READERS)) {
      issues.push({
        path: ['functions', extra.fn, 'event_sources', extra.index, 'table'],
        message: `the stream of "${table}" would have ${list.length} readers (${list.map((r) => r.fn).join(', ')}): AWS throttles a third reader of a DynamoDB stream, so its mappings fall behind; ${fix}`,
      });
    }
  }
}
