import { Command } from 'commander';
import type { LogLine } from '../logs/format.js';
import type { Output } from '../output.js';
import { action } from './action.js';

interface LogsCommandOptions {
  follow?: boolean;
  since: string;
  until?: string;
  filter?: string;
  level?: string;
  function?: string;
}

export function logsCommand(): Command {
  return new Command('logs')
    .description("the function's logs: the local runtime's log store, or CloudWatch Logs on AWS")
    .option('-f, --follow', 'keep printing new events until Ctrl-C')
    .option('--since <time>', 'from this time: 30s, 5m, 2h30m, 1d, or an ISO time', '10m')
    .option('--until <time>', 'up to this time (same forms as --since)')
    .option('--filter <text>', 'only events containing every word (a "quoted phrase" as is)')
    .option(
      '--level <level>',
      'only lines at this level or above (TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL); timeouts, crashes, failed inits and out-of-memory kills count as ERROR',
    )
    .option('--function <name>', 'whose logs; required where the stack has several functions')
    .addHelpText(
      'after',
      `
JSON log lines (the handler's Powertools logs) are shown as level, message,
then the fields that vary; Lambda's START/END/REPORT lines are dimmed. --json
prints each event as {timestamp, logStreamName, message, eventId, level, platform}.

Examples:
  $ ddb-ingest logs
  $ ddb-ingest logs --follow --level WARN
  $ ddb-ingest logs --function audit --since 1h
  $ ddb-ingest logs --since 2h --filter "record malformed"
  $ ddb-ingest --target aws logs --since 2026-11-25T10:00:00Z --until 2026-11-25T11:00:00Z
  $ ddb-ingest logs --json | jq -r 'select(.level == "ERROR") | .message'`,
    )
    .action(
      action<LogsCommandOptions>(async (ctx, opts) => {
        const [{ parseTimeSpec }, { parseLogLevel }, { readFunctionLogs, describeLogEvent }] =
          await Promise.all([import('./timeSpec.js'), import('./values.js'), import('../logs/format.js')]);
        const now = Date.now();
        const since = parseTimeSpec(opts.since, now, '--since');
        const until = opts.until !== undefined ? parseTimeSpec(opts.until, now, '--until') : undefined;
        const level = opts.level !== undefined ? parseLogLevel(opts.level) : undefined;
        const query = {
          since,
          until,
          ...(opts.filter ? { filter: opts.filter } : {}),
          ...(level ? { level } : {}),
          follow: Boolean(opts.follow),
          signal: ctx.signal,
        };
        const { source, close } = await ctx.target.logSource(
          opts.function !== undefined ? { function: opts.function } : {},
        );
        let count = 0;
        try {
          for await (const event of readFunctionLogs(source, query)) {
            count += 1;
            if (ctx.output.json) ctx.output.jsonLine(event);
            else ctx.output.line(renderLogLine(ctx.output, describeLogEvent(event)));
          }
        } finally {
          close();
        }
        if (count === 0 && !opts.follow) {
          ctx.output.info(
            `No log events since ${new Date(since).toISOString()}${level ? ` at ${level} or above` : ''}.`,
          );
        }
      }),
    );
}

/** Dim time, coloured level, message, then the fields; Lambda's own lines dimmed whole. */
function renderLogLine(output: Output, line: LogLine): string {
  const { style } = output;
  if (line.platform) return style.dim(`${line.time}  ${line.message}`);
  if (line.metrics) return style.dim(`${line.time}  ${[line.message, ...line.fields].join(' ')}`);
  const paint =
    line.level === 'ERROR' || line.level === 'CRITICAL'
      ? style.red
      : line.level === 'WARN'
        ? style.yellow
        : line.level === 'INFO'
          ? style.green
          : style.dim;
  const parts = [style.dim(line.time)];
  if (line.level) parts.push(paint(line.level.padEnd(5)));
  parts.push(line.message);
  if (line.fields.length > 0) parts.push(style.dim(line.fields.join(' ')));
  return parts.join('  ');
}
