import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  CodeDeployClient,
  CreateApplicationCommand,
  CreateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  LambdaClient,
  PublishVersionCommand,
} from '@aws-sdk/client-lambda';
import yazl from 'yazl';
import {
  activeDeployment,
  createAliasDeployment,
  readAlias,
} from '../../src/targets/aws/canary/deployment.js';
import { CanaryError } from '../../src/targets/aws/canary/errors.js';
import { deployVersion } from '../../src/targets/aws/canary/release.js';
import { getFreePort } from '../../src/util/net.js';
import { systemClock } from '../../src/util/time.js';

// The canary driver against moto server, as far as moto 5.2.1's CodeDeploy
// goes: it has CreateApplication, CreateDeploymentGroup, CreateDeployment
// (any AppSpec), ListDeployments with status filters; its deployments never
// leave "Created", it has no StopDeployment, and GetDeployment returns
// createTime as an ISO string that the SDK cannot read. So this checks that
// moto accepts our requests and that a running deployment blocks a new one;
// the outcomes (success, rollback, stop) are test/targets/canary.test.ts.
let moto: ChildProcess | undefined;
let endpoint = '';
const FN = 'canary-moto-fn';
const group = { applicationName: FN, deploymentGroupName: 'live' };
const clientConfig = () => ({
  region: 'us-east-1',
  endpoint,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});

async function zip(): Promise<Uint8Array> {
  const file = new yazl.ZipFile();
  file.addBuffer(
    Buffer.from('export const handler = async () => ({ batchItemFailures: [] });\n'),
    'index.mjs',
  );
  file.end();
  const chunks: Buffer[] = [];
  for await (const chunk of file.outputStream) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

beforeAll(async () => {
  const probe = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `moto server is required (pip install "moto[server]>=5"): ${probe.error?.message ?? probe.stderr.trim()}`,
    );
  }
  const port = await getFreePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const up = await fetch(`${endpoint}/moto-api/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 300) throw new Error('moto server did not start within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  // Functions without Docker: moto keeps them as metadata, which is all the alias needs.
  await fetch(`${endpoint}/moto-api/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lambda: { use_docker: false } }),
  });
  // IAM is a Query API: one form POST creates the role the function needs.
  const role = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x',
    },
    body: new URLSearchParams({
      Action: 'CreateRole',
      Version: '2010-05-08',
      RoleName: 'fn-role',
      AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}',
    }),
  });
  if (!role.ok) throw new Error(`moto CreateRole: ${role.status} ${await role.text()}`);

  const lambda = new LambdaClient(clientConfig());
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: FN,
      Runtime: 'nodejs22.x',
      Role: 'arn:aws:iam::123456789012:role/fn-role',
      Handler: 'index.handler',
      Code: { ZipFile: await zip() },
      Publish: true,
    }),
  );
  await lambda.send(new CreateAliasCommand({ FunctionName: FN, Name: 'live', FunctionVersion: '1' }));
  await lambda.send(new PublishVersionCommand({ FunctionName: FN, Description: 'version 2' }));
  lambda.destroy();

  // What infra/codedeploy.tf creates.
  const codedeploy = new CodeDeployClient(clientConfig());
  await codedeploy.send(new CreateApplicationCommand({ applicationName: FN, computePlatform: 'Lambda' }));
  await codedeploy.send(
    new CreateDeploymentGroupCommand({
      ...group,
      serviceRoleArn: 'arn:aws:iam::123456789012:role/fn-codedeploy',
      deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      autoRollbackConfiguration: {
        enabled: true,
        events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'],
      },
      alarmConfiguration: { enabled: true, alarms: [{ name: 'errors' }] },
    }),
  );
  codedeploy.destroy();
}, 120_000);

afterAll(async () => {
  const child = moto;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
});

test('the alias, the deployment moto accepts, and a running deployment that blocks the next one', async () => {
  const codedeploy = new CodeDeployClient(clientConfig());
  const lambda = new LambdaClient(clientConfig());
  try {
    expect(await readAlias(lambda, FN, 'live')).toEqual({ version: '1', weights: {} });
    expect(await activeDeployment(codedeploy, group)).toBeUndefined();

    const id = await createAliasDeployment(
      codedeploy,
      group,
      { functionName: FN, alias: 'live', currentVersion: '1', targetVersion: '2' },
      { description: 'moto' },
    );
    expect(id).toMatch(/\S/);
    // moto leaves it "Created", one of the statuses the driver counts as running.
    expect(await activeDeployment(codedeploy, group)).toBe(id);

    const err = await deployVersion({
      codedeploy,
      lambda,
      group,
      functionName: FN,
      version: '2',
      clock: systemClock,
      confirmRolledBack: async () => true,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(CanaryError);
    expect((err as CanaryError).code).toBe('canary.in-progress');
    expect((err as CanaryError).message).toContain(id);

    // An unknown group is CodeDeploy's error, passed through with its name.
    const missing = await createAliasDeployment(
      codedeploy,
      { applicationName: FN, deploymentGroupName: 'nope' },
      { functionName: FN, alias: 'live', currentVersion: '1', targetVersion: '2' },
      { description: 'moto' },
    ).catch((e) => e);
    expect((missing as Error).name).toBe('DeploymentGroupDoesNotExistException');
  } finally {
    codedeploy.destroy();
    lambda.destroy();
  }
}, 60_000);
