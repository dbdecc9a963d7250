import { AwsError } from './errors.js';

/**
 * Where each AWS service is reached: the one place `--endpoint-url`,
 * `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` are read, for the SDK
 * clients and for Terraform's provider alike. The precedence is the AWS SDKs'
 * and CLI's (docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html):
 * an explicit endpoint (our `--endpoint-url`, like the AWS CLI's) wins over
 * the service's variable, which wins over the global one;
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` turns both variables off.
 */

/**
 * Every service the CLI or the Terraform module talks to. `env` is the
 * `AWS_ENDPOINT_URL_<SERVICE>` suffix (the SDK's serviceId, upper case,
 * spaces as `_`); `terraform` the provider's `endpoints` argument, or null for
 * services only the CLI uses.
 */
export const AWS_SERVICES = {
  dynamodb: { name: 'DynamoDB', env: 'DYNAMODB', terraform: 'dynamodb' },
  dynamodbstreams: { name: 'DynamoDB Streams', env: 'DYNAMODB_STREAMS', terraform: null },
  lambda: { name: 'Lambda', env: 'LAMBDA', terraform: 'lambda' },
  sqs: { name: 'SQS', env: 'SQS', terraform: 'sqs' },
  logs: { name: 'CloudWatch Logs', env: 'CLOUDWATCH_LOGS', terraform: 'logs' },
  cloudwatch: { name: 'CloudWatch', env: 'CLOUDWATCH', terraform: 'cloudwatch' },
  ssm: { name: 'SSM', env: 'SSM', terraform: 'ssm' },
  sts: { name: 'STS', env: 'STS', terraform: 'sts' },
  iam: { name: 'IAM', env: 'IAM', terraform: 'iam' },
  sns: { name: 'SNS', env: 'SNS', terraform: 'sns' },
  kms: { name: 'KMS', env: 'KMS', terraform: 'kms' },
  codedeploy: { name: 'CodeDeploy', env: 'CODEDEPLOY', terraform: 'codedeploy' },
} as const;

export type AwsService = keyof typeof AWS_SERVICES;

/** A custom endpoint per service; a service not listed uses AWS's own. */
export type ServiceEndpoints = Partial<Record<AwsService, string>>;

/**
 * Checks that `value` is an absolute http(s) URL with a host, as the SDKs
 * require (a path is allowed); returns it unchanged.
 */
export function checkEndpointUrl(value: string, source: string): string {
  const malformed = (problem: string, cause?: unknown) =>
    new AwsError('aws.endpoint-malformed', `${source} "${value}" is not an endpoint URL: ${problem}.`, {
      cause,
      details: { source },
    });
  let url: URL;
  try {
    url = new URL(value);
  } catch (err) {
    throw malformed('expected a URL such as http://127.0.0.1:5000', err);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw malformed(`the scheme must be http or https, not ${url.protocol}`);
  }
  if (!url.hostname) throw malformed('it has no host');
  return value;
}

/** The environment variable of one service's endpoint. */
export function endpointVariable(service: AwsService): string {
  return `AWS_ENDPOINT_URL_${AWS_SERVICES[service].env}`;
}

/**
 * The endpoint of every service that has a custom one. `flag` is
 * the explicit endpoint (every service, the CLI's `--endpoint-url`); otherwise the variables as the SDKs read
 * them. Empty variables count as unset. Throws AwsError
 * (aws.endpoint-malformed) for a malformed URL.
 */
export function resolveEndpoints(
  flag: string | undefined,
  env: Record<string, string | undefined> = process.env,
  /** How errors name the explicit endpoint (the CLI passes its flag). */
  flagSource = 'the endpoint override',
): ServiceEndpoints {
  const services = Object.keys(AWS_SERVICES) as AwsService[];
  if (flag !== undefined) {
    const url = checkEndpointUrl(flag, flagSource);
    return Object.fromEntries(services.map((s) => [s, url]));
  }
  if ((env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '').toLowerCase() === 'true') return {};
  const global = env.AWS_ENDPOINT_URL
    ? checkEndpointUrl(env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL')
    : undefined;
  const endpoints: ServiceEndpoints = {};
  for (const service of services) {
    const variable = endpointVariable(service);
    const own = env[variable];
    const url = own ? checkEndpointUrl(own, variable) : global;
    if (url) endpoints[service] = url;
  }
  return endpoints;
}

/**
 * The provider's `endpoints` for the Terraform module: the services it
 * manages that have a custom endpoint, under the provider's argument names.
 */
/**
 * An AWS CLI command line shown to the user, aimed where the SDK clients go:
 * with a custom endpoint for `service`, `--endpoint-url` is added, so a
 * command copied while working against an emulator never reaches real AWS.
 */
export function awsCliCommand(command: string, service: AwsService, endpoints: ServiceEndpoints): string {
  const url = endpoints[service];
  return url && command.startsWith('aws ') ? `aws --endpoint-url ${url} ${command.slice(4)}` : command;
}

export function terraformEndpoints(endpoints: ServiceEndpoints): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [service, url] of Object.entries(endpoints) as [AwsService, string][]) {
    const key = AWS_SERVICES[service].terraform;
    if (key && url) out[key] = url;
  }
  return out;
}
