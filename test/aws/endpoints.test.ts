import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clientConfig, endpointFor } from '../../src/aws/clients.js';
import {
  AWS_SERVICES,
  type AwsService,
  awsCliCommand,
  endpointVariable,
  resolveEndpoints,
  terraformEndpoints,
} from '../../src/aws/endpoints.js';
import { AwsError } from '../../src/aws/errors.js';
import { awsConnection, createContext } from '../../src/context.js';
import { toCliError } from '../../src/errorMessages.js';
import { UsageError } from '../../src/errors.js';
import { defaultInfraDir } from '../../src/targets/aws/vars.js';

const ALL = Object.keys(AWS_SERVICES) as AwsService[];

describe('resolveEndpoints: the SDKs’ precedence', () => {
  test('nothing set: no custom endpoint anywhere (real AWS unchanged)', () => {
    expect(resolveEndpoints(undefined, {})).toEqual({});
    expect(terraformEndpoints(resolveEndpoints(undefined, {}))).toEqual({});
  });

  test('AWS_ENDPOINT_URL reaches every service; AWS_ENDPOINT_URL_<SERVICE> wins for its service', () => {
    const endpoints = resolveEndpoints(undefined, {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324',
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: 'http://127.0.0.1:8001',
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: '',
    });
    expect(endpoints.sqs).toBe('http://127.0.0.1:9324');
    expect(endpoints.dynamodbstreams).toBe('http://127.0.0.1:8001');
    // An empty variable counts as unset.
    expect(endpoints.logs).toBe('http://127.0.0.1:5000');
    for (const s of ALL.filter((s) => s !== 'sqs' && s !== 'dynamodbstreams')) {
      expect({ s, url: endpoints[s] }).toEqual({ s, url: 'http://127.0.0.1:5000' });
    }
  });

  test('a service variable alone changes only that service', () => {
    expect(resolveEndpoints(undefined, { AWS_ENDPOINT_URL_LAMBDA: 'https://lambda.example:443' })).toEqual({
      lambda: 'https://lambda.example:443',
    });
  });

  test('--endpoint-url wins over every variable, as in the AWS CLI', () => {
    const endpoints = resolveEndpoints('http://localhost:4566', {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324',
    });
    expect(new Set(Object.values(endpoints))).toEqual(new Set(['http://localhost:4566']));
    expect(Object.keys(endpoints).sort()).toEqual([...ALL].sort());
  });

  test('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores the variables, never the flag', () => {
    const env = { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'TRUE', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' };
    expect(resolveEndpoints(undefined, env)).toEqual({});
    expect(resolveEndpoints('http://127.0.0.1:6000', env).lambda).toBe('http://127.0.0.1:6000');
  });

  test.each([
    ['localhost:4566', 'the scheme must be http or https, not localhost:'],
    ['127.0.0.1:4566', 'expected a URL'],
    ['ftp://127.0.0.1', 'the scheme must be http or https, not ftp:'],
    ['not a url', 'expected a URL'],
  ])('a malformed URL (%s) is a usage error naming its source', (value, problem) => {
    const err = (() => {
      try {
        resolveEndpoints(undefined, { AWS_ENDPOINT_URL_SSM: value });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AwsError);
    expect((err as AwsError).code).toBe('aws.endpoint-malformed');
    const shown = toCliError(err);
    expect(shown).toBeInstanceOf(UsageError);
    expect(shown?.exitCode).toBe(2);
    expect(shown?.message).toContain(`AWS_ENDPOINT_URL_SSM "${value}" is not an endpoint URL`);
    expect(shown?.message).toContain(problem);
    expect(shown?.hint).toContain('http://127.0.0.1:5000');
  });

  test('the variable names are the SDKs’ (serviceId upper case, spaces as _)', () => {
    expect(ALL.map(endpointVariable)).toEqual([
      'AWS_ENDPOINT_URL_DYNAMODB',
      'AWS_ENDPOINT_URL_DYNAMODB_STREAMS',
      'AWS_ENDPOINT_URL_LAMBDA',
      'AWS_ENDPOINT_URL_SQS',
      'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
      'AWS_ENDPOINT_URL_CLOUDWATCH',
      'AWS_ENDPOINT_URL_SSM',
      'AWS_ENDPOINT_URL_STS',
      'AWS_ENDPOINT_URL_IAM',
      'AWS_ENDPOINT_URL_SNS',
      'AWS_ENDPOINT_URL_KMS',
      'AWS_ENDPOINT_URL_CODEDEPLOY',
    ]);
  });
});

test('an AWS CLI command shown to the user goes where the clients go: --endpoint-url for a custom endpoint only', () => {
  const put =
    'aws ssm put-parameter --region us-east-1 --type SecureString --name /x/pii-key --value "$(openssl rand -hex 32)"';
  expect(awsCliCommand(put, 'ssm', { ssm: 'http://127.0.0.1:5000' })).toBe(
    'aws --endpoint-url http://127.0.0.1:5000 ssm put-parameter --region us-east-1 --type SecureString --name /x/pii-key --value "$(openssl rand -hex 32)"',
  );
  expect(awsCliCommand(put, 'ssm', { dynamodb: 'http://127.0.0.1:8000' })).toBe(put);
  expect(awsCliCommand(put, 'ssm', {})).toBe(put);
});

test('every service the CLI maps for Terraform has a line in the provider endpoints block and the variable validation', () => {
  const infra = defaultInfraDir();
  const providers = readFileSync(path.join(infra, 'providers.tf'), 'utf8');
  const variables = readFileSync(path.join(infra, 'variables.tf'), 'utf8');
  const block = /endpoints \{([\s\S]*?)\n {2}\}/.exec(providers)?.[1] ?? '';
  const inBlock = [...block.matchAll(/^\s+(\w+)\s+= lookup\(var\.aws_endpoints, "(\w+)"/gm)].map((m) => {
    expect(m[1]).toBe(m[2]);
    return m[1];
  });
  const keys = Object.values(AWS_SERVICES)
    .map((s) => s.terraform)
    .filter((k): k is NonNullable<typeof k> => k !== null)
    .sort();
  expect(inBlock.sort()).toEqual(keys);
  const validated = /contains\(\[([^\]]+)\], k\)/.exec(variables)?.[1] ?? '';
  expect(
    validated
      .split(',')
      .map((k) => k.trim().replace(/"/g, ''))
      .sort(),
  ).toEqual(keys);
});

test('the context: aws target reads the variables, local target only the flag; clients get one endpoint per service', async () => {
  const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324' };
  const missing = path.join(await mkdtemp(path.join(os.tmpdir(), 'endpoints-')), 'ddb-ingest.json');
  await writeFile(missing, '{}');
  const aws = await createContext({ target: 'aws', config: missing }, env);
  expect(aws.aws.endpoint).toBe('http://127.0.0.1:5000');
  const conn = awsConnection(aws);
  expect(clientConfig(conn, 'sqs').endpoint).toBe('http://127.0.0.1:9324');
  expect(clientConfig(conn, 'lambda').endpoint).toBe('http://127.0.0.1:5000');
  expect(endpointFor(conn, 'ssm')).toBe('http://127.0.0.1:5000');

  const local = await createContext({ target: 'local', config: missing }, env);
  expect(local.aws.endpoints).toEqual({});
  await expect(createContext({ target: 'local', config: missing, endpointUrl: 'oops' }, env)).rejects.toThrow(
    '--endpoint-url "oops" is not an endpoint URL',
  );

  const real = await createContext({ target: 'aws', config: missing }, {});
  expect(clientConfig(awsConnection(real), 'lambda')).toEqual({ region: 'us-east-1' });
});
