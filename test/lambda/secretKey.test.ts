import { rm } from 'node:fs/promises';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { createKeySource, keySourceFromEnv } from '../../lambda/src/pipeline/secretKey.js';
import { makeKeyFile } from './support.js';

// No SSM emulator exists, so the SDK client Powertools Parameters uses is mocked.
const ssm = mockClient(SSMClient);
beforeEach(() => ssm.reset());
afterAll(() => ssm.restore());

test('SSM: the SecureString is fetched decrypted once per container and trimmed', async () => {
  ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/ddb-ingest/pii-key', Value: 's3cret-key\n' } });
  const getKey = keySourceFromEnv({ PII_KEY_PARAMETER: '/ddb-ingest/pii-key', PII_KEY_FILE: '/nonexistent' });
  expect((await getKey()).toString('utf8')).toBe('s3cret-key');
  expect((await getKey()).toString('utf8')).toBe('s3cret-key');
  const calls = ssm.commandCalls(GetParameterCommand);
  expect(calls).toHaveLength(1);
  expect(calls[0]?.args[0].input).toEqual({ Name: '/ddb-ingest/pii-key', WithDecryption: true });
});

test('SSM: a failure is reported without the value and not cached', async () => {
  ssm
    .on(GetParameterCommand)
    .rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))
    .resolves({ Parameter: { Value: 'k2' } });
  const getKey = createKeySource(() => ({ parameterName: '/other-key', maxAgeSeconds: 1 }));
  await expect(getKey()).rejects.toThrow(
    'cannot read the PII key from SSM parameter /other-key: AccessDeniedException',
  );
  expect((await getKey()).toString('utf8')).toBe('k2');
});

test('file: read once, then served from memory even if the file goes away', async () => {
  const { file, key } = await makeKeyFile();
  const getKey = keySourceFromEnv({ PII_KEY_FILE: file });
  expect((await getKey()).toString('utf8')).toBe(key);
  await rm(file);
  expect((await getKey()).toString('utf8')).toBe(key);
  await expect(keySourceFromEnv({ PII_KEY_FILE: file })()).rejects.toThrow(
    `cannot read the PII key file ${file}: ENOENT`,
  );
});

test('neither location set: a clear error', async () => {
  await expect(keySourceFromEnv({})()).rejects.toThrow(
    'no PII key configured: set PII_KEY_PARAMETER (name of an SSM SecureString parameter) or PII_KEY_FILE (path of a local key file)',
  );
});
