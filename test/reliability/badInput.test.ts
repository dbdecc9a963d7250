/**
 * Bad input through the built CLI: a clear message, the right exit code and
 * nothing half-written. Cases test/cli/usage.test.ts and local-stack.test.ts
 * already hold (bogus command, status --bogus, seed counts, --port 70000,
 * --target gcp, starting_position, port in use, JAVA_HOME pointing nowhere)
 * are not repeated here.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeleteTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../../src/aws/clients.js';
import { localConnection } from '../../src/targets/local/stack.js';
import { type LocalState, readLocalState } from '../../src/targets/local/state.js';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';
import { processesOf } from '../helpers/pty.js';

const STACK_FILES: Record<string, string> = {
  'not-json.json': '{bad',
  'array.json': '[]',
  'unknown-key.json': '{"bogus":1}',
  'wrong-type.json': '{"function":{"timeout":"30"}}',
  'batch-zero.json': '{"event_source_mapping":{"batch_size":0}}',
  'retries.json': '{"event_source_mapping":{"maximum_retry_attempts":20000}}',
  'response-types.json': '{"event_source_mapping":{"function_response_types":["Nope"]}}',
  'view-type.json': '{"source_table":{"stream_view_type":"ALL"}}',
  'empty-name.json': '{"name":""}',
  'same-table.json': '{"source_table":{"name":"orders"},"sink_table":{"name":"orders"}}',
  'keys-only.json': '{"source_table":{"stream_view_type":"KEYS_ONLY"}}',
  'old-image.json': '{"source_table":{"stream_view_type":"OLD_IMAGE"}}',
  'bad-filter.json': '{"event_source_mapping":{"filter_criteria":{"filter":[{"pattern":"{bad"}]}}}',
  'a-file.txt': 'not a directory',
};
const REPLAY_FILES: Record<string, string> = {
  'bad-record.ndjson': '{"eventID":1}\n',
  'not-json.ndjson': 'not json\n',
  'no-records.json': '{"Foo":[]}',
  'incomplete.json': '{"Records":[{"eventID":"1","eventName":"INSERT","dynamodb":{}}]}',
  'empty.ndjson': '\n',
};

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'reliability-bad-input-'));
  for (const [name, text] of Object.entries({ ...STACK_FILES, ...REPLAY_FILES })) {
    await writeFile(path.join(cwd, name), text);
  }
  await mkdir(path.join(cwd, 'a-directory'));
});

const INVALID = 'hint: Fix the keys above';
const REPLAY_HINT = 'A replay file holds one stream record per line';
const NOT_UP = /The local stack is not running\.[\s\S]*ddb-ingest up/;

/** Nothing listens on port 1 (privileged, never a server's), so a connection is refused at once. */
const DEAD = 'http://127.0.0.1:1';
const UNREACHABLE = (operation: string) =>
  new RegExp(
    `Cannot reach DynamoDB at http://127\\.0\\.0\\.1:1 \\(${operation}\\)[\\s\\S]*hint: Nothing answers at http://127\\.0\\.0\\.1:1: start the emulator`,
  );
const MALFORMED =
  /--endpoint-url "notaurl" is not an endpoint URL[\s\S]*hint: Give the scheme, host and port/;
/** No credentials anywhere the SDK looks (variables, files, instance metadata). */
const NO_CREDENTIALS: Record<string, string> = {
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_SESSION_TOKEN: '',
  AWS_PROFILE: '',
  AWS_CONFIG_FILE: '/nonexistent/ddb-ingest-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/ddb-ingest-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
  AWS_WEB_IDENTITY_TOKEN_FILE: '',
};
const NO_DEPLOYMENT = /No deployment found[\s\S]*hint: Deploy with `npx ddb-ingest --target aws up`/;

// [args, exit code, message, extra environment]
const CASES: [string[], number, RegExp | string, Record<string, string>?][] = [
  // unreachable, malformed and credential-less endpoints: each its own message and hint
  [['seed', '--count', '5', '--endpoint-url', DEAD], 1, /5 of 5 items were not written/],
  [['seed', '--count', '5', '--endpoint-url', DEAD], 1, UNREACHABLE('BatchWriteItem')],
  [['tail', '--no-follow', '--endpoint-url', DEAD], 1, UNREACHABLE('DescribeTable')],
  [['replay', '--from-stream', '--endpoint-url', DEAD], 1, UNREACHABLE('DescribeTable')],
  [['status', '--endpoint-url', DEAD], 1, UNREACHABLE('DescribeTable')],
  [
    ['tail', '--no-follow', '--target', 'aws', '--endpoint-url', DEAD],
    1,
    UNREACHABLE('DescribeTable'),
    { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
  ],
  [
    ['seed', '--count', '5', '--target', 'aws', '--endpoint-url', DEAD],
    1,
    UNREACHABLE('BatchWriteItem'),
    { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
  ],
  [['seed', '--endpoint-url', 'notaurl'], 2, MALFORMED],
  [['tail', '--endpoint-url', 'notaurl'], 2, MALFORMED],
  [['verify', '--endpoint-url', 'notaurl'], 2, MALFORMED],
  [['status', '--endpoint-url', 'notaurl'], 2, MALFORMED],
  [['replay', '--from-stream', '--endpoint-url', 'notaurl'], 2, MALFORMED],
  [['up', '--target', 'aws', '--endpoint-url', 'notaurl'], 2, MALFORMED],
  [['down', '--target', 'aws', '--endpoint-url', 'notaurl'], 2, MALFORMED],
  [['logs', '--target', 'aws', '--endpoint-url', 'notaurl'], 2, MALFORMED],
  [['dlq', '--target', 'aws', '--endpoint-url', 'notaurl'], 2, MALFORMED],
  [['status', '--endpoint-url', 'ftp://127.0.0.1:21'], 2, 'the scheme must be http or https, not ftp:'],
  [
    ['status', '--target', 'aws'],
    2,
    /AWS_ENDPOINT_URL "notaurl" is not an endpoint URL/,
    { AWS_ENDPOINT_URL: 'notaurl' },
  ],
  [
    ['up', '--endpoint-url', DEAD],
    2,
    /--endpoint-url http:\/\/127\.0\.0\.1:1 cannot be used by the local up: it starts its own DynamoDB Local\.[\s\S]*hint: Choose its port with --port/,
  ],
  [['demo', '--endpoint-url', DEAD], 2, 'cannot be used by the local demo'],
  [
    ['seed', '--count', '5', '--target', 'aws', '--endpoint-url', DEAD],
    1,
    /5 of 5 items were not written \(DynamoDB at http:\/\/127\.0\.0\.1:1 has no valid credentials \(BatchWriteItem\)[\s\S]*hint: An emulator accepts any credentials, but the SDK needs some: export AWS_ACCESS_KEY_ID=test/,
    NO_CREDENTIALS,
  ],
  [
    ['tail', '--no-follow', '--target', 'aws', '--profile', 'no-such-profile'],
    1,
    /has no valid credentials from profile "no-such-profile" \(DescribeTable\)[\s\S]*hint: Check that profile "no-such-profile" exists/,
    NO_CREDENTIALS,
  ],
  [
    ['seed', '--count', '5', '--target', 'aws', '--profile', 'no-such-profile'],
    1,
    /no valid credentials from profile "no-such-profile" \(BatchWriteItem\)[\s\S]*aws sso login --profile no-such-profile/,
    NO_CREDENTIALS,
  ],
  [
    ['seed', '--count', '5', '--target', 'aws'],
    1,
    /DynamoDB \(AWS, us-east-1\) has no valid credentials[\s\S]*hint: Sign in \(aws sso login/,
    NO_CREDENTIALS,
  ],
  // the aws target with nothing deployed: said at once, Terraform never started
  [['down', '--target', 'aws', '--yes'], 1, NO_DEPLOYMENT],
  [['status', '--target', 'aws'], 1, NO_DEPLOYMENT],
  [['logs', '--target', 'aws'], 1, NO_DEPLOYMENT],
  [['dlq', '--target', 'aws'], 1, NO_DEPLOYMENT],
  [['verify', '--target', 'aws'], 1, NO_DEPLOYMENT],
  // invalid stack files
  [['--config', 'not-json.json', 'status'], 2, /not-json\.json is not valid JSON/],
  [['--config', 'array.json', 'status'], 2, /\(top level\): must be object[\s\S]*Fix the keys/],
  [['--config', 'unknown-key.json', 'status'], 2, '(top level): unknown key "bogus"'],
  [['--config', 'wrong-type.json', 'status'], 2, 'function.timeout: must be number'],
  [['--config', 'batch-zero.json', 'seed'], 2, 'event_source_mapping.batch_size: must be >= 1'],
  [['--config', 'retries.json', 'up'], 2, 'event_source_mapping.maximum_retry_attempts: must be <= 10000'],
  [['--config', 'response-types.json', 'verify'], 2, 'must be one of "ReportBatchItemFailures"'],
  [['--config', 'view-type.json', 'status'], 2, 'source_table.stream_view_type: must be one of'],
  [['--config', 'empty-name.json', 'status'], 2, INVALID],
  [['--config', 'nothere.json', 'verify'], 2, /Cannot read stack file .*nothere\.json[\s\S]*--config/],
  // stack files that validate but cannot work
  [
    ['--config', 'same-table.json', 'status'],
    2,
    /sink_table\.name: must differ from source_table\.name \("orders"\)/,
  ],
  [
    ['--config', 'keys-only.json', 'up'],
    2,
    /KEYS_ONLY cannot be used with the built-in handler[\s\S]*NEW_AND_OLD_IMAGES/,
  ],
  [['--config', 'old-image.json', 'verify'], 2, 'OLD_IMAGE cannot be used with the built-in handler'],
  [['--config', 'bad-filter.json', 'up'], 2, 'Invalid filter pattern'],
  // state dirs that cannot be used: typed errors at once, nothing started
  [
    ['--state-dir', 'a-file.txt', 'up'],
    1,
    /The state dir .*a-file\.txt cannot be used: it is a file[\s\S]*--state-dir/,
  ],
  [['--state-dir', 'a-file.txt/sub', 'up'], 1, 'a part of its path is a file'],
  [['--state-dir', '/proc/ddb-ingest-x', 'up'], 1, /\/proc, a kernel filesystem[\s\S]*a real disk/],
  [['--state-dir', '/sys/ddb-ingest-x', 'demo'], 1, 'on /sys, a kernel filesystem'],
  [
    ['--state-dir', 'a-file.txt', 'verify'],
    1,
    /not running\.[\s\S]*hint: Start it with `.* --state-dir a-file\.txt up`/,
  ],
  // unknown commands and flags
  [['stauts'], 2, /unknown command 'stauts'[\s\S]*Did you mean status\?/],
  [['verify', '--bogus'], 2, "unknown option '--bogus'"],
  [['replay', '--bogus'], 2, "unknown option '--bogus'"],
  [['tail', '--frm', 'x'], 2, /unknown option '--frm'[\s\S]*Did you mean --from\?/],
  [['dlq', '--bogus'], 2, "unknown option '--bogus'"],
  [['down', '--bogus'], 2, "unknown option '--bogus'"],
  // bad numbers and times
  [['verify', '--segments', '0'], 2, '--segments must be between 1 and 64, got 0.'],
  [['verify', '--examples', 'x'], 2, '--examples must be a whole number, got "x".'],
  [['up', '--port', 'abc'], 2, '--port must be a whole number, got "abc".'],
  [['seed', '--seed', 'abc'], 2, '--seed must be a whole number, got "abc".'],
  [['seed', '--rate', '0'], 2, '--rate must be a positive number, got "0".'],
  [['seed', '--count', '5', '--deletes', '10'], 2, '--deletes (10) cannot exceed --count (5).'],
  [['replay', '--from-stream', '--since', 'yesterday'], 2, /--since "yesterday" is not a time\.[\s\S]*2h30m/],
  [
    ['replay', '--from-stream', '--batch-size', '0'],
    2,
    /--batch-size "0" is out of range\.[\s\S]*1 to 10,000/,
  ],
  [['tail', '--limit', '-5'], 2, '--limit "-5" is not a positive whole number.'],
  [['tail', '--from', 'notatime'], 2, /--from "notatime" is not a start position\.[\s\S]*trim-horizon/],
  [['tail', '--event', 'INSERTED'], 2, /--event "INSERTED" is not a stream event name/],
  [['logs', '--since', '5x'], 2, '--since "5x" is not a time.'],
  [['logs', '--until', '5x'], 2, '--until "5x" is not a time.'],
  [['logs', '--level', 'LOUD'], 2, /--level "LOUD" is not a log level\.[\s\S]*TRACE, DEBUG/],
  [['replay', 'bad-record.ndjson', '--from-dlq'], 2, 'replay takes one source at a time.'],
  [['replay', '--from-stream', '--delete'], 2, '--delete goes with --from-dlq.'],
  // unreadable or malformed replay files
  [['replay', 'missing.ndjson'], 2, /Cannot read replay file missing\.ndjson: it does not exist/],
  [['replay', 'a-directory'], 2, /Cannot read replay file a-directory: EISDIR/],
  [
    ['replay', 'bad-record.ndjson'],
    2,
    /bad-record\.ndjson: line 1: record\.eventID expected a non-empty string/,
  ],
  [['replay', 'not-json.ndjson', '--dry-run'], 2, /not-json\.ndjson: line 1: not valid JSON/],
  [['replay', 'no-records.json'], 2, REPLAY_HINT],
  [['replay', 'incomplete.json'], 2, /incomplete\.json: line 1: Records\[0\]\.eventVersion/],
  [['replay', 'empty.ndjson'], 2, /empty\.ndjson is empty/],
  // stack not up
  [['verify'], 1, NOT_UP],
  [['verify', '--repair'], 1, NOT_UP],
  [['tail', '--no-follow'], 1, NOT_UP],
  [['replay', '--from-dlq'], 1, NOT_UP],
];

test.each(CASES)(
  '%j exits %i with a clear message and writes nothing',
  // `env` has a default so the callback's arity stays 3: jest would pass `done` as a fourth parameter.
  async (args, code, message, env: Record<string, string> = {}) => {
    const r = await runCli(args, { cwd, env });
    if (typeof message === 'string') expect(r.stderr).toContain(message);
    else expect(r.stderr).toMatch(message);
    expect(r.exitCode).toBe(code);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr).not.toContain('This is a bug');
    // Only throttling is about the write rate (none of these cases is).
    expect(r.stderr).not.toMatch(/throttl|--concurrency/i);
    expect(r.stdout).toBe('');
    expect(existsSync(path.join(cwd, '.ddb-ingest'))).toBe(false);
  },
);

describe('missing tools', () => {
  /** A PATH holding only node, so java and terraform cannot be found. */
  async function bareEnv(dir: string): Promise<Record<string, string>> {
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    await symlink(process.execPath, path.join(bin, 'node'));
    return { PATH: bin, HOME: dir };
  }

  test('missing Java (no JAVA_HOME, no java on PATH): exit 1, how to install, no stack state', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'reliability-nojava-'));
    const env = { ...(await bareEnv(dir)), JAVA_HOME: '' };
    const r = await runCli(['up', '--port', String(await getFreePort())], { cwd: dir, env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Java was not found .*DynamoDB Local needs Java 17 or newer/);
    expect(r.stderr).toContain('JAVA_HOME');
    expect(existsSync(path.join(dir, '.ddb-ingest', 'local.json'))).toBe(false);
  });

  test('missing Terraform (up --target aws): exit 1, how to install, nothing written', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'reliability-notf-'));
    const r = await runCli(['up', '--target', 'aws', '--yes'], { cwd: dir, env: await bareEnv(dir) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Terraform was not found .*the aws target needs it/);
    expect(r.stderr).toContain('Install Terraform');
    // Checked before the bundle is built or the module copied.
    expect(existsSync(path.join(dir, '.ddb-ingest'))).toBe(false);
  });
});

describe('against a running stack', () => {
  let dir: string;
  let state: LocalState;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'reliability-running-'));
    const up = await runCli(['up', '--port', String(await getFreePort())], { cwd: dir });
    expect({ code: up.exitCode, stderr: up.stderr }).toMatchObject({ code: 0 });
    state = (await readLocalState(path.join(dir, '.ddb-ingest'))) as LocalState;
  }, 120_000);
  afterAll(async () => {
    await runCli(['down', '--purge'], { cwd: dir });
  });

  const noTrace = (text: string) => expect(text).not.toMatch(/\n\s+at /);

  test('tail --from a sequence number the stream does not hold: exit 1, names it, no stack trace', async () => {
    const r = await runCli(['tail', '--from', '100000000000000000001', '--no-follow'], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('The stream holds no record with sequence number 100000000000000000001');
    expect(r.stderr).toMatch(/hint: .*tail --from trim-horizon --no-follow --json/);
    noTrace(r.stderr);
  });

  test('up --foreground beside the background pipeline: refused with the command that stops it', async () => {
    const r = await runCli(['up', '--foreground'], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/already runs its event source mapping in the background \(pid \d+\)/);
    expect(r.stderr).toMatch(/hint: Stop it with `.*ddb-ingest(\.js)? down`/);
    noTrace(r.stderr);
  });

  test("up on the running stack's port from another state dir: port in use, nothing left running", async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'reliability-port-'));
    const r = await runCli(['up', '--port', String(state.dynamodb.port)], { cwd: other });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`Port ${state.dynamodb.port} is already in use`);
    expect(r.stderr).toContain('--port');
    noTrace(r.stderr);
    expect(await processesOf(path.join(other, '.ddb-ingest'))).toEqual([]);
    expect(existsSync(path.join(other, '.ddb-ingest', 'local.json'))).toBe(false);
  });

  test('status --endpoint-url looks at that endpoint, even from a directory with no stack', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'reliability-endpoint-'));
    const r = await runCli(['status', '--json', '--endpoint-url', state.dynamodb.endpoint], { cwd: other });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      endpoint: state.dynamodb.endpoint,
      tables: { sourceExists: true, sinkExists: true },
    });
  });

  test('--endpoint-url where nothing answers, beside a running stack: verify and seed name it, exit 1', async () => {
    for (const [args, operation] of [
      [['verify', '--endpoint-url', DEAD], 'Scan'],
      [['seed', '--count', '3', '--endpoint-url', DEAD], 'BatchWriteItem'],
    ] as const) {
      const r = await runCli([...args], { cwd: dir });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(UNREACHABLE(operation));
      expect(r.stderr).not.toMatch(/throttl|--concurrency|This is a bug/);
      noTrace(r.stderr);
    }
  });

  test('tail and seed --endpoint-url use that endpoint from a directory with no stack', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'reliability-endpoint-'));
    const tail = await runCli(['tail', '--no-follow', '--json', '--endpoint-url', state.dynamodb.endpoint], {
      cwd: other,
    });
    expect({ code: tail.exitCode, stderr: tail.stderr }).toMatchObject({ code: 0 });
    await writeFile(path.join(other, 'ddb-ingest.json'), '{"source_table":{"name":"not-created"}}');
    const seed = await runCli(['seed', '--count', '3', '--endpoint-url', state.dynamodb.endpoint], {
      cwd: other,
    });
    expect(seed.exitCode).toBe(1);
    expect(seed.stderr).toContain(
      `table not-created does not exist at ${state.dynamodb.endpoint}; 3 of 3 items were not written.`,
    );
    expect(seed.stderr).toMatch(/hint: Nothing at .* has that table: create the tables with `.*up`/);
    noTrace(seed.stderr);
    expect(existsSync(path.join(other, '.ddb-ingest'))).toBe(false);
  });

  test('a DynamoDB Local that runs but does not answer (stopped): verify and seed say so within 5 s', async () => {
    process.kill(state.dynamodb.pid, 'SIGSTOP');
    try {
      for (const args of [['verify'], ['seed', '--count', '1']]) {
        const started = Date.now();
        const r = await runCli(args, { cwd: dir });
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toContain(`DynamoDB Local (pid ${state.dynamodb.pid}) runs but did not answer`);
        expect(r.stderr).toMatch(/hint: See .*dynamodb\.log; restart the stack/);
        noTrace(r.stderr);
        expect(Date.now() - started).toBeLessThan(15_000);
      }
    } finally {
      process.kill(state.dynamodb.pid, 'SIGCONT');
    }
  }, 60_000);

  test('a DLQ message whose records are past retention: says why, stays on the queue', async () => {
    const dlq = path.join(dir, '.ddb-ingest', 'dlq');
    await mkdir(dlq, { recursive: true });
    const shardId = 'shardId-00000001577836800000-deadbeef';
    const message = {
      requestContext: {
        requestId: 'old',
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ddb-ingest-ingest',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 6,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2020-01-01T00:00:00.000Z',
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: '100000000000000000001',
        endSequenceNumber: '100000000000000000002',
        approximateArrivalOfFirstRecord: '2020-01-01T00:00:00Z',
        approximateArrivalOfLastRecord: '2020-01-01T00:00:00Z',
        batchSize: 2,
        streamArn: state.tables.streamArn,
      },
    };
    const file = path.join(dlq, '2020-01-01T00-00-00.000Z-old.json');
    await writeFile(file, JSON.stringify(message));
    const r = await runCli(['replay', '--from-dlq', '--delete'], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('their records are no longer in the stream');
    expect(r.stderr).toContain('verify --repair');
    expect(r.stderr).toContain(`shard ${shardId}`);
    expect(r.stderr).toMatch(/cannot be replayed and stays on the queue/);
    expect(existsSync(file)).toBe(true);
  });

  test('the source table deleted under a running stack: seed and verify exit 1 naming it, nothing written', async () => {
    const client = await createDynamoDbClient(localConnection(state));
    try {
      await client.send(new DeleteTableCommand({ TableName: state.tables.source }));
      const seed = await runCli(['seed', '--count', '5'], { cwd: dir });
      expect(seed.exitCode).toBe(1);
      expect(seed.stderr).toContain(
        `table ${state.tables.source} does not exist at ${state.dynamodb.endpoint}; 5 of 5 items were not written.`,
      );
      expect(seed.stderr).not.toMatch(/throttl|--concurrency/);
      const verify = await runCli(['verify'], { cwd: dir });
      expect(verify.exitCode).toBe(1);
      expect(verify.stderr).toContain(`Table ${state.tables.source} does not exist.`);
      expect(verify.stderr).not.toMatch(/\n\s+at /);
      const sink = await client.send(new ScanCommand({ TableName: state.tables.sink }));
      expect(sink.Count).toBe(0);
    } finally {
      client.destroy();
    }
  });
});
