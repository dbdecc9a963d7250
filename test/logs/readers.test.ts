import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { parseLogLevel } from '../../src/commands/values.js';
import { RuntimeError, UsageError } from '../../src/errors.js';
import { readCloudWatchLogs } from '../../src/logs/cloudwatch.js';
import { classify, type LogEvent, toFilterPattern } from '../../src/logs/events.js';
import { readLocalLogs } from '../../src/logs/local.js';
import type { Clock } from '../../src/util/time.js';
import { shownRejection } from '../helpers/errors.js';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const STREAM_A = '2026/11/25/[$LATEST]aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const STREAM_B = '2026/11/25/[$LATEST]bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

const line = (timestamp: number, logStreamName: string, message: string) =>
  `${JSON.stringify({ timestamp, logStreamName, message })}\n`;
const json = (level: string, message: string) => JSON.stringify({ level, message, service: 'ingest' });

async function collect(iter: AsyncIterable<LogEvent>): Promise<LogEvent[]> {
  const out: LogEvent[] = [];
  for await (const e of iter) out.push(e);
  return out;
}

function fakeClock(): Clock {
  let now = T0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
}

describe('log lines', () => {
  test('levels come from JSON lines and the runtime text format; platform lines are flagged', () => {
    expect(classify(json('warning', 'x'))).toEqual({ level: 'WARN', platform: false });
    expect(classify('2026-11-25T10:00:00.000Z\tabc-123\tERROR\tboom')).toEqual({
      level: 'ERROR',
      platform: false,
    });
    expect(classify('START RequestId: abc Version: $LATEST')).toEqual({ platform: true });
    expect(classify('REPORT RequestId: abc\tDuration: 2.00 ms')).toEqual({ platform: true });
    expect(classify('plain text')).toEqual({ platform: false });
    expect(parseLogLevel('error')).toBe('ERROR');
    expect(() => parseLogLevel('LOUD')).toThrow(UsageError);
  });

  test.each([
    '2026-11-25T10:00:02.010Z 6f1c2e9a-1b2c-4d5e-8f90-0a1b2c3d4e5f Task timed out after 2.00 seconds',
    'RequestId: 6f1c2e9a-1b2c-4d5e-8f90-0a1b2c3d4e5f Error: Runtime exited with error: signal: killed',
    'Error: Runtime exited with error: exit status 129',
    'Runtime.OutOfMemory',
    'Runtime.ExitError',
    'INIT_REPORT Init Duration: 3.21 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError',
    'REPORT RequestId: abc\tDuration: 2000.00 ms\tBilled Duration: 2000 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tStatus: timeout',
  ])('a runtime failure line is a platform line at ERROR: %s', (message) => {
    expect(classify(message)).toEqual({ level: 'ERROR', platform: true });
  });

  test('filter texts become CloudWatch filter patterns', () => {
    expect(toFilterPattern('order failed')).toBe('order failed');
    expect(toFilterPattern('o-1 status:PAID')).toBe('"o-1" "status:PAID"');
    expect(toFilterPattern('{ $.level = "ERROR" }')).toBe('{ $.level = "ERROR" }');
  });
});

describe('local log store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'logs-'));
    await writeFile(
      path.join(dir, 'a.ndjson'),
      line(T0, STREAM_A, 'START RequestId: r1 Version: $LATEST') +
        line(T0 + 20, STREAM_A, json('INFO', 'order o-1 stored')) +
        line(T0 + 40, STREAM_A, json('ERROR', 'order o-2 failed')) +
        line(T0 + 60, STREAM_A, 'END RequestId: r1'),
    );
    await writeFile(
      path.join(dir, 'b.ndjson'),
      line(T0 + 10, STREAM_B, json('DEBUG', 'order o-3 seen')) +
        line(T0 + 50, STREAM_B, json('WARN', 'order o-3 slow')),
    );
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('streams are merged by timestamp', async () => {
    const events = await collect(readLocalLogs({ logsDir: dir }));
    expect(events.map((e) => e.timestamp - T0)).toEqual([0, 10, 20, 40, 50, 60]);
    expect(events[1]).toMatchObject({
      logStreamName: STREAM_B,
      level: 'DEBUG',
      platform: false,
      eventId: 'b.ndjson:1',
    });
    expect(events[0]?.platform).toBe(true);
  });

  test('since, until, filter and level narrow the events', async () => {
    const window = await collect(readLocalLogs({ logsDir: dir, since: T0 + 10, until: T0 + 40 }));
    expect(window.map((e) => e.timestamp - T0)).toEqual([10, 20, 40]);
    const filtered = await collect(readLocalLogs({ logsDir: dir, filter: 'o-3 slow' }));
    expect(filtered.map((e) => e.message)).toEqual([json('WARN', 'order o-3 slow')]);
    const warnings = await collect(readLocalLogs({ logsDir: dir, level: 'WARN' }));
    expect(warnings.map((e) => e.level)).toEqual(['ERROR', 'WARN']);
  });

  test('a missing log directory means no events yet', async () => {
    expect(await collect(readLocalLogs({ logsDir: path.join(dir, 'none') }))).toEqual([]);
  });

  test('follow picks up appended lines and new files once each, waiting for unfinished lines', async () => {
    const controller = new AbortController();
    const seen: LogEvent[] = [];
    let notify: () => void = () => {};
    const reading = (async () => {
      for await (const e of readLocalLogs({
        logsDir: dir,
        follow: true,
        pollIntervalMs: 10,
        signal: controller.signal,
      })) {
        seen.push(e);
        notify();
      }
    })();
    const until = (n: number) =>
      new Promise<void>((resolve) => {
        notify = () => seen.length >= n && resolve();
        notify();
      });
    await until(6);
    const next = line(T0 + 70, STREAM_A, json('INFO', 'order o-4 stored'));
    await appendFile(path.join(dir, 'a.ndjson'), next.slice(0, 20));
    await writeFile(path.join(dir, 'c.ndjson'), line(T0 + 80, 'c', json('INFO', 'new stream')));
    await until(7);
    await appendFile(path.join(dir, 'a.ndjson'), next.slice(20));
    await until(8);
    controller.abort();
    await reading;
    expect(seen.map((e) => e.eventId)).toEqual([
      'a.ndjson:1',
      'b.ndjson:1',
      'a.ndjson:2',
      'a.ndjson:3',
      'b.ndjson:2',
      'a.ndjson:4',
      'c.ndjson:1',
      'a.ndjson:5',
    ]);
  });
});

describe('CloudWatch Logs', () => {
  const cw = mockClient(CloudWatchLogsClient);
  const client = new CloudWatchLogsClient({ region: 'us-east-1' });
  const ev = (id: string, timestamp: number, message: string) => ({
    eventId: id,
    timestamp,
    message: `${message}\n`,
    logStreamName: STREAM_A,
  });
  beforeEach(() => cw.reset());
  const inputs = () => cw.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);

  test('every page is read and the request carries group, window, pattern and token', async () => {
    cw.on(FilterLogEventsCommand)
      .resolvesOnce({
        events: [ev('1', T0, json('INFO', 'a')), ev('2', T0 + 1, json('ERROR', 'b'))],
        nextToken: 'p2',
      })
      .resolvesOnce({ events: [], nextToken: 'p3' })
      .resolvesOnce({ events: [ev('3', T0 + 2, 'START RequestId: x Version: $LATEST')] });
    const events = await collect(
      readCloudWatchLogs({
        client,
        logGroupName: '/aws/lambda/ddb-ingest-ingest',
        since: T0,
        until: T0 + 60_000,
        filter: 'order o-1',
      }),
    );
    expect(events.map((e) => [e.eventId, e.level, e.platform])).toEqual([
      ['1', 'INFO', false],
      ['2', 'ERROR', false],
      ['3', undefined, true],
    ]);
    expect(events[0]?.message).toBe(json('INFO', 'a'));
    const base = {
      logGroupName: '/aws/lambda/ddb-ingest-ingest',
      startTime: T0,
      endTime: T0 + 60_000,
      filterPattern: 'order "o-1"',
    };
    expect(inputs()).toEqual<FilterLogEventsCommandInput[]>([
      base,
      { ...base, nextToken: 'p2' },
      { ...base, nextToken: 'p3' },
    ]);
  });

  test('the level filter applies to CloudWatch events too', async () => {
    cw.on(FilterLogEventsCommand).resolves({
      events: [
        ev('1', T0, json('INFO', 'a')),
        ev('2', T0 + 1, json('ERROR', 'b')),
        ev('3', T0 + 2, 'END RequestId: x'),
      ],
    });
    const events = await collect(readCloudWatchLogs({ client, logGroupName: 'g', level: 'ERROR' }));
    expect(events.map((e) => e.eventId)).toEqual(['2']);
    expect(inputs()).toEqual([{ logGroupName: 'g' }]);
  });

  test("Lambda's runtime failure lines (timeout, runtime exit, OOM, failed init) pass --level ERROR and WARN", async () => {
    const id = '6f1c2e9a-1b2c-4d5e-8f90-0a1b2c3d4e5f';
    cw.on(FilterLogEventsCommand).resolves({
      events: [
        ev('1', T0, `START RequestId: ${id} Version: 7`),
        ev('2', T0 + 1, `END RequestId: ${id}`),
        ev(
          '3',
          T0 + 2,
          `REPORT RequestId: ${id}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 71 MB`,
        ),
        ev('4', T0 + 3, `2026-11-25T10:00:03.004Z ${id} Task timed out after 3.00 seconds`),
        ev('5', T0 + 4, `RequestId: ${id} Error: Runtime exited with error: signal: killed`),
        ev('6', T0 + 5, 'Runtime.OutOfMemory'),
        ev(
          '7',
          T0 + 6,
          'INIT_REPORT Init Duration: 812.40 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError',
        ),
        ev('8', T0 + 7, json('INFO', 'fine')),
      ],
    });
    for (const level of ['ERROR', 'WARN'] as const) {
      const events = await collect(readCloudWatchLogs({ client, logGroupName: 'g', level }));
      expect(events.map((e) => e.eventId)).toEqual(['4', '5', '6', '7']);
      expect(events.every((e) => e.platform && e.level === 'ERROR')).toBe(true);
    }
  });

  test('follow polls from the newest timestamp and skips ids already shown there', async () => {
    const controller = new AbortController();
    const polls = [
      [
        { events: [ev('1', T0 + 100, 'one'), ev('2', T0 + 200, 'two')], nextToken: 't' },
        { events: [ev('3', T0 + 200, 'three')] },
      ],
      [
        {
          events: [ev('2', T0 + 200, 'two'), ev('3', T0 + 200, 'three'), ev('4', T0 + 200, 'four')],
          nextToken: 'u',
        },
        { events: [ev('5', T0 + 300, 'five')] },
      ],
      [{ events: [ev('5', T0 + 300, 'five')] }],
    ].flat();
    let call = 0;
    cw.on(FilterLogEventsCommand).callsFake(async () => {
      const page = polls[call++];
      if (!page) {
        controller.abort();
        return { events: [] };
      }
      return page;
    });
    const events = await collect(
      readCloudWatchLogs({
        client,
        logGroupName: 'g',
        since: T0,
        follow: true,
        pollIntervalMs: 1000,
        clock: fakeClock(),
        signal: controller.signal,
      }),
    );
    expect(events.map((e) => e.eventId)).toEqual(['1', '2', '3', '4', '5']);
    expect(
      inputs().map((i) => [i.startTime === undefined ? undefined : i.startTime - T0, i.nextToken]),
    ).toEqual([
      [0, undefined],
      [0, 't'],
      [200, undefined],
      [200, 'u'],
      [300, undefined],
      [300, undefined],
    ]);
  });

  test('a missing log group is a clear error without follow', async () => {
    cw.on(FilterLogEventsCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    expect(
      await shownRejection(collect(readCloudWatchLogs({ client, logGroupName: '/aws/lambda/x' }))),
    ).toBeInstanceOf(RuntimeError);
  });
});
