import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { lambdaLogGroupName } from '../util/lambda.js';
import type { LogEvent, LogLevel, LogQuery } from './events.js';

/** Where the function's logs are: the local runtime's store or CloudWatch Logs. */
export type LogSource =
  | { target: 'local' /** `<stateDir>/logs`. */; logsDir: string }
  | { target: 'aws'; client: Pick<CloudWatchLogsClient, 'send'>; functionName: string };

/**
 * The function's log events from either store, with the same filters. Each
 * reader loads on first use: a local `logs` does not pay for the CloudWatch SDK.
 */
export async function* readFunctionLogs(
  source: LogSource,
  query: LogQuery,
): AsyncGenerator<LogEvent, void, undefined> {
  if (source.target === 'local') {
    const { readLocalLogs } = await import('./local.js');
    yield* readLocalLogs({ ...query, logsDir: source.logsDir });
    return;
  }
  const { readCloudWatchLogs } = await import('./cloudwatch.js');
  yield* readCloudWatchLogs({
    ...query,
    client: source.client,
    logGroupName: lambdaLogGroupName(source.functionName),
  });
}

/** The parts of one human log line; the CLI adds colours. */
export interface LogLine {
  /** ISO time of the event. */
  time: string;
  /** START/END/REPORT and Lambda's other lines: shown dimmed. */
  platform: boolean;
  /** An embedded-metric-format line (`_aws`): numbers for CloudWatch, shown dimmed. */
  metrics: boolean;
  level?: LogLevel;
  /** The `message` of a JSON line, or the whole text. */
  message: string;
  /** A JSON line's other fields worth showing, as `name=value` texts. */
  fields: string[];
}

/**
 * Fields every Powertools line carries: repeating them on every line hides
 * what differs. `--json` keeps everything.
 */
const ROUTINE_FIELDS = new Set([
  'level',
  'message',
  'msg',
  'timestamp',
  'time',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
]);

function fieldText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Splits an event into what a person reads first: level, message, then the fields that vary. */
export function describeLogEvent(event: LogEvent): LogLine {
  const time = new Date(event.timestamp).toISOString();
  const base = {
    time,
    platform: event.platform,
    metrics: false,
    ...(event.level ? { level: event.level } : {}),
  };
  const text = event.message.trim();
  if (!event.platform && text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        const metrics = typeof parsed._aws === 'object' && parsed._aws !== null;
        const message = parsed.message ?? parsed.msg ?? (metrics ? 'metrics' : undefined);
        return {
          ...base,
          metrics,
          message: message === undefined ? '' : fieldText(message),
          fields: Object.entries(parsed)
            .filter(([name]) => !ROUTINE_FIELDS.has(name) && !(metrics && name === '_aws'))
            .map(([name, value]) => `${name}=${fieldText(value)}`),
        };
      }
    } catch {
      // Plain text that starts with a brace.
    }
  }
  return { ...base, message: event.message, fields: [] };
}
