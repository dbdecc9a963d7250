import { commandPrefix, withOwnCommand } from '../../src/commands/invocation.js';

// The commands our hints suggest, rewritten to how the user ran the tool: the
// options that choose the stack and where it runs come along, once.

const argv = ['node', '/usr/local/bin/ddb-ingest'];

test('the prefix carries the stack, target, account, region and endpoint the user chose', () => {
  expect(commandPrefix({}, {}, argv, '/w')).toBe('ddb-ingest');
  expect(
    commandPrefix(
      {
        target: 'aws',
        profile: 'dev',
        region: 'eu-west-1',
        endpointUrl: 'http://127.0.0.1:5000',
        stateDir: 'st',
        json: true,
      },
      {},
      argv,
      '/w',
    ),
  ).toBe(
    'ddb-ingest --state-dir st --target aws --profile dev --region eu-west-1 --endpoint-url http://127.0.0.1:5000',
  );
  expect(commandPrefix({ target: 'local' }, { npm_command: 'exec' }, argv, '/w')).toBe('npx ddb-ingest');
});

test('a suggested command names the target once, and keeps the rest of its words', () => {
  const prefix = 'node bin/ddb-ingest.js --target aws --endpoint-url http://127.0.0.1:5000';
  expect(withOwnCommand('Deploy with `ddb-ingest up --target aws`, or pass --state-dir.', prefix)).toBe(
    'Deploy with `node bin/ddb-ingest.js --target aws --endpoint-url http://127.0.0.1:5000 up`, or pass --state-dir.',
  );
  expect(withOwnCommand('Run `ddb-ingest logs --level ERROR --since 30m` then `ddb-ingest`.', prefix)).toBe(
    `Run \`${prefix} logs --level ERROR --since 30m\` then \`${prefix}\`.`,
  );
  // Another target in the suggestion stays: it is what the hint is about.
  expect(withOwnCommand('Run `ddb-ingest tail --target local`.', prefix)).toBe(
    `Run \`${prefix} tail --target local\`.`,
  );
  expect(withOwnCommand('Run `ddb-ingest up --target aws`.', 'ddb-ingest')).toBe(
    'Run `ddb-ingest up --target aws`.',
  );
});
