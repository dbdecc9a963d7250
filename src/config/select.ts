import { DEFAULT_BATCH_SIZE } from './constants.js';
import { ConfigError } from './errors.js';
import type { BuiltInPipeline, FunctionModel, StackModel } from './model.js';

/**
 * Which function or which stream a command works on. With one candidate the
 * choice is made for the user; with several, a name is needed, and the error
 * lists the names to choose from.
 */

/** The function named `name`, or the stack's only function. */
export function selectFunction(model: Pick<StackModel, 'functions'>, name?: string): FunctionModel {
  const names = Object.keys(model.functions);
  if (name !== undefined) {
    const fn = model.functions[name];
    if (!fn) {
      throw new ConfigError('config.unknown-function', `The stack has no function "${name}".`, {
        details: { function: name, functions: names },
      });
    }
    return fn;
  }
  const only = names.length === 1 ? model.functions[names[0] as string] : undefined;
  if (only) return only;
  throw new ConfigError(
    'config.function-required',
    names.length === 0
      ? 'The stack declares no function.'
      : `The stack has ${names.length} functions (${names.join(', ')}): say which one.`,
    { details: { functions: names } },
  );
}

/** Tables of the stack with a stream, in file order. */
export const streamTables = (model: Pick<StackModel, 'tables'>): string[] =>
  Object.values(model.tables)
    .filter((t) => t.stream_view_type !== undefined)
    .map((t) => t.name);

/**
 * The table whose stream a command reads: `table` as given; else the only
 * stream `fn` is mapped to (when a function is given); else the stack's only
 * table with a stream.
 */
export function selectStreamTable(
  model: Pick<StackModel, 'tables' | 'functions'>,
  options: { table?: string | undefined; function?: string | undefined } = {},
): string {
  const withStream = streamTables(model);
  if (options.table !== undefined) {
    const table = model.tables[options.table];
    if (!table) {
      throw new ConfigError('config.unknown-table', `The stack has no table "${options.table}".`, {
        details: { table: options.table, tables: withStream },
      });
    }
    if (table.stream_view_type === undefined) {
      throw new ConfigError('config.table-without-stream', `Table ${options.table} has no stream.`, {
        details: { table: options.table, tables: withStream },
      });
    }
    return options.table;
  }
  const candidates =
    options.function !== undefined
      ? selectFunction(model, options.function).event_sources.map((s) => s.table)
      : withStream;
  if (candidates.length === 1) return candidates[0] as string;
  throw new ConfigError(
    'config.table-required',
    candidates.length === 0
      ? `${options.function !== undefined ? `Function ${options.function} reads no stream` : 'No table of the stack has a stream'}.`
      : `${candidates.length} tables have streams${options.function !== undefined ? ` that ${options.function} reads` : ''} (${candidates.join(', ')}): say which one.`,
    { details: { tables: candidates } },
  );
}

/**
 * The built-in orders pipeline (source -> function -> sink), which the orders
 * seed, verify and the demo work on. A version 2 stack has it only when it
 * writes one of the single-pipeline keys; without it those refuse, rather than
 * write to or compare tables the stack does not declare. `command` is who
 * asks (for the message only).
 */
export function requirePipeline(
  model: Pick<StackModel, 'pipeline' | 'tables'>,
  options: { command?: string } = {},
): BuiltInPipeline {
  if (model.pipeline) return model.pipeline;
  throw new ConfigError(
    'config.pipeline-required',
    'The stack has no built-in orders pipeline (none of source_table, sink_table, function, event_source_mapping).',
    {
      details: {
        tables: Object.keys(model.tables),
        ...(options.command !== undefined ? { command: options.command } : {}),
      },
    },
  );
}

/**
 * The batch size `replay` uses when none is given: that of the function's
 * mapping on `table`; without a table, of its only mapping, or the one all its
 * mappings share (several that differ: a ConfigError asking for the table).
 * A function no stream feeds gets Lambda's default.
 */
export function mappingBatchSize(
  model: Pick<StackModel, 'tables' | 'functions'>,
  options: { function?: string; table?: string } = {},
): number {
  const fn = selectFunction(model, options.function);
  const mapped = fn.event_sources.map((s) => s.table);
  if (options.table !== undefined) {
    const source = fn.event_sources.find((s) => s.table === options.table);
    if (!source) {
      throw new ConfigError(
        'config.unknown-table',
        `Function ${fn.name} has no mapping on table "${options.table}".`,
        { details: { table: options.table, function: fn.name, tables: mapped } },
      );
    }
    return source.batch_size;
  }
  const sizes = new Set(fn.event_sources.map((s) => s.batch_size));
  if (sizes.size === 0) return DEFAULT_BATCH_SIZE;
  if (sizes.size === 1) return [...sizes][0] as number;
  throw new ConfigError(
    'config.table-required',
    `Function ${fn.name} reads ${mapped.length} streams with different batch sizes (${fn.event_sources
      .map((s) => `${s.table}: ${s.batch_size}`)
      .join(', ')}): say which mapping.`,
    { details: { function: fn.name, tables: mapped } },
  );
}
