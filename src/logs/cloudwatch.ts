import {
  type CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { sleep } from '../util/sleep.js';
import { systemClock } from '../util/time.js';
import { LogsError } from './errors.js';
import { classify, inWindowAndLevel, type LogEvent, type LogQuery, toFilterPattern } from './events.js';

export interface CloudWatchLogOptions extends LogQuery {
  client: Pick<CloudWatchLogsClient, 'send'>;
  /** `/aws/lambda/<function name>`. */
  logGroupName: string;
}

/**
 * The same events as `readLocalLogs`, from CloudWatch Logs FilterLogEvents,
 * every page followed through `nextToken`. Following polls again from the
 * newest timestamp seen (inclusive) and skips the event ids already printed at
 * that timestamp, so page and poll boundaries give no duplicates and no gaps.
 * The text filter runs in CloudWatch (as a filter pattern), the level here.
 */
export async function* readCloudWatchLogs(
  options: CloudWatchLogOptions,
): AsyncGenerator<LogEvent, void, undefined> {
  const { client, logGroupName, signal } = options;
  const clock = options.clock ?? systemClock;
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const filterPattern = options.filter ? toFilterPattern(options.filter) : undefined;
  let startTime = options.since;
  let boundary: { timestamp: number; ids: Set<string> } | undefined;
  try {
    for (;;) {
      let nextToken: string | undefined;
      do {
        let out: FilterLogEventsCommandOutput;
        try {
          out = await client.send(
            new FilterLogEventsCommand({
              logGroupName,
              ...(startTime !== undefined ? { startTime } : {}),
              ...(options.until !== undefined ? { endTime: options.until } : {}),
              ...(filterPattern ? { filterPattern } : {}),
              ...(nextToken ? { nextToken } : {}),
            }),
            signal ? { abortSignal: signal } : {},
          );
        } catch (err) {
          if ((err as Error).name !== 'ResourceNotFoundException') throw err;
          // The group appears on the function's first run: keep waiting when following.
          if (!options.follow) {
            throw new LogsError('logs.group-missing', `Log group ${logGroupName} does not exist.`, {
              cause: err,
              details: { logGroupName },
            });
          }
          break;
        }
        for (const raw of out.events ?? []) {
          if (raw.timestamp === undefined || raw.message === undefined) continue;
          const eventId = raw.eventId ?? `${raw.logStreamName}:${raw.timestamp}:${raw.message}`;
          if (boundary && raw.timestamp === boundary.timestamp && boundary.ids.has(eventId)) continue;
          if (!boundary || raw.timestamp > boundary.timestamp)
            boundary = { timestamp: raw.timestamp, ids: new Set() };
          if (raw.timestamp === boundary.timestamp) boundary.ids.add(eventId);
          const message = raw.message.replace(/\r?\n$/, '');
          const event: LogEvent = {
            timestamp: raw.timestamp,
            logStreamName: raw.logStreamName ?? '',
            message,
            eventId,
            ...classify(message),
          };
          if (inWindowAndLevel(event, options)) yield event;
        }
        nextToken = out.nextToken;
      } while (nextToken);
      if (!options.follow) return;
      if (options.until !== undefined && clock.now() > options.until) return;
      if (boundary) startTime = boundary.timestamp;
      await sleep(clock, pollIntervalMs, signal);
    }
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  }
}
