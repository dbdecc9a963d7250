import { createHash } from 'node:crypto';
import {
  BatchGetDeploymentsCommand,
  CodeDeployClient,
  CreateDeploymentCommand,
  type DeploymentInfo,
  type DeploymentStatus,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  GetAliasCommand,
  InvokeCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { toCliError } from '../../src/errorMessages.js';
import { lambdaAppSpec } from '../../src/targets/aws/canary/appspec.js';
import type { DeploymentProgress } from '../../src/targets/aws/canary/deployment.js';
import { CanaryError } from '../../src/targets/aws/canary/errors.js';
import {
  appliedByAge,
  appliedBySinkSequence,
  preTrafficCheck,
} from '../../src/targets/aws/canary/preTraffic.js';
import {
  aliasMoveDescription,
  deployVersion,
  moveAliasAtOnce,
  parseAliasMove,
  ROLLBACK_CONFIG,
  rollback,
  rollbackAtOnce,
} from '../../src/targets/aws/canary/release.js';
import type { Clock } from '../../src/util/time.js';

// The canary driver against mocked clients, request by request: what it asks
// CodeDeploy, Lambda, DynamoDB Streams and DynamoDB, and what it makes of the
// answers. (moto's CodeDeploy keeps every deployment at "Created" and has no
// StopDeployment, so the outcomes can only be driven here; test/aws/ runs the
// calls moto supports.)
const codedeploy = mockClient(CodeDeployClient);
const lambda = mockClient(LambdaClient);
const streams = mockClient(DynamoDBStreamsClient);
const dynamodb = mockClient(DynamoDBClient);

const FN = 'ddb-ingest-ingest';
const group = { applicationName: FN, deploymentGroupName: 'live' };
const ACTIVE: DeploymentStatus[] = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];

/** A Lambda response payload as the SDK types it. */
const blob = (text: string) => Object.assign(Buffer.from(text), { transformToString: () => text }) as never;

function fakeClock(): Clock & { slept: number[] } {
  let t = Date.parse('2026-12-01T10:00:00Z');
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
  };
}

function target(clock = fakeClock(), progress: DeploymentProgress[] = []) {
  return {
    codedeploy: new CodeDeployClient({ region: 'us-east-1' }),
    lambda: new LambdaClient({ region: 'us-east-1' }),
    group,
    functionName: FN,
    clock,
    pollMs: 1000,
    onProgress: (p: DeploymentProgress) => progress.push(p),
  };
}

/** A deployment as CodeDeploy describes it, with the AppSpec it was created with. */
function info(
  id: string,
  status: string,
  from: string,
  to: string,
  extra: Partial<DeploymentInfo> = {},
): DeploymentInfo {
  const appSpec = lambdaAppSpec({ functionName: FN, alias: 'live', currentVersion: from, targetVersion: to });
  return {
    deploymentId: id,
    status: status as DeploymentInfo['status'],
    createTime: new Date('2026-11-30T09:00:00Z'),
    revision: { revisionType: 'AppSpecContent', appSpecContent: appSpec },
    ...extra,
  };
}

/** ListDeployments: `running` for the unfinished-status query, `all` for the history (matchers are partial, so one fake). */
function listDeployments(running: string[], all: string[]) {
  codedeploy.on(ListDeploymentsCommand).callsFake((input: { includeOnlyStatuses?: string[] }) => ({
    deployments: input.includeOnlyStatuses ? running : all,
  }));
}

beforeEach(() => {
  codedeploy.reset();
  lambda.reset();
  streams.reset();
  dynamodb.reset();
});

describe('deployVersion', () => {
  test('creates the deployment with the AppSpec of current and target version and follows it to success', async () => {
    lambda
      .on(GetAliasCommand, { FunctionName: FN, Name: 'live' })
      .resolvesOnce({ FunctionVersion: '4' })
      .resolvesOnce({ FunctionVersion: '4', RoutingConfig: { AdditionalVersionWeights: { '5': 0.1 } } })
      .resolves({ FunctionVersion: '5' });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW' });
    codedeploy
      .on(GetDeploymentCommand, { deploymentId: 'd-NEW' })
      .resolvesOnce({ deploymentInfo: { deploymentId: 'd-NEW', status: 'InProgress' } })
      .resolves({ deploymentInfo: { deploymentId: 'd-NEW', status: 'Succeeded' } });
    const progress: DeploymentProgress[] = [];
    const clock = fakeClock();
    const checked: string[] = [];
    const result = await deployVersion({
      ...target(clock, progress),
      version: '5',
      preTraffic: async (v) => {
        checked.push(v);
        return { result: 'skipped', reason: 'stream-empty' };
      },
      confirmRolledBack: async () => {
        throw new Error('not asked: nothing was rolled back');
      },
    });

    expect(result).toEqual({
      result: 'succeeded',
      deploymentId: 'd-NEW',
      from: '4',
      to: '5',
      preTraffic: { result: 'skipped', reason: 'stream-empty' },
    });
    expect(checked).toEqual(['5']);
    // One running-deployment check with exactly the unfinished statuses, one history read.
    expect(codedeploy.commandCalls(ListDeploymentsCommand).map((c) => c.args[0].input)).toEqual([
      { ...group, includeOnlyStatuses: ACTIVE },
      { ...group },
    ]);
    const content = JSON.stringify({
      version: 0,
      Resources: [
        {
          [FN]: {
            Type: 'AWS::Lambda::Function',
            Properties: { Name: FN, Alias: 'live', CurrentVersion: '4', TargetVersion: '5' },
          },
        },
      ],
    });
    expect(codedeploy.commandCalls(CreateDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      {
        ...group,
        revision: {
          revisionType: 'AppSpecContent',
          appSpecContent: { content, sha256: createHash('sha256').update(content).digest('hex') },
        },
        description: `ddb-ingest:deploy: ${FN} live 4 -> 5`,
      },
    ]);
    expect(progress).toEqual([
      { deploymentId: 'd-NEW', status: 'InProgress', rollingBack: false, weights: { '5': 0.1 } },
      { deploymentId: 'd-NEW', status: 'Succeeded', rollingBack: false, weights: {} },
    ]);
    expect(clock.slept).toEqual([1000]);
  });

  test('live already on the version: nothing is asked of CodeDeploy', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '5' });
    const result = await deployVersion({
      ...target(),
      version: '5',
      confirmRolledBack: async () => true,
    });
    expect(result).toEqual({ result: 'up-to-date', version: '5' });
    expect(codedeploy.calls()).toHaveLength(0);
  });

  test('another deployment running: refused before anything is created', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4' });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-RUNNING'] });
    const err = await deployVersion({ ...target(), version: '5', confirmRolledBack: async () => true }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(CanaryError);
    expect((err as CanaryError).code).toBe('canary.in-progress');
    expect((err as CanaryError).message).toContain('d-RUNNING');
    expect(codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  test('an alarm stops the canary: CodeDeploy rolls back, the driver follows the rollback and fails with both ids', async () => {
    lambda.on(GetAliasCommand).resolvesOnce({ FunctionVersion: '4' }).resolves({ FunctionVersion: '4' });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW' });
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-NEW' }).resolves({
      deploymentInfo: {
        deploymentId: 'd-NEW',
        status: 'Stopped',
        errorInformation: {
          code: 'ALARM_ACTIVE',
          message: 'One or more alarms have been activated: ddb-ingest-dev-errors',
        },
        rollbackInfo: { rollbackDeploymentId: 'd-BACK' },
      },
    });
    codedeploy
      .on(GetDeploymentCommand, { deploymentId: 'd-BACK' })
      .resolvesOnce({ deploymentInfo: { deploymentId: 'd-BACK', status: 'InProgress' } })
      .resolves({ deploymentInfo: { deploymentId: 'd-BACK', status: 'Succeeded' } });
    const progress: DeploymentProgress[] = [];
    const err = await deployVersion({
      ...target(fakeClock(), progress),
      version: '5',
      confirmRolledBack: async () => true,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(CanaryError);
    expect((err as CanaryError).code).toBe('canary.rolled-back');
    // What the user reads: exit 1, and a hint that nothing is left to undo.
    expect(toCliError(err)).toMatchObject({
      exitCode: 1,
      hint: expect.stringContaining('live serves the previous version'),
    });
    expect((err as CanaryError).message).toBe(
      'Deployment d-NEW of version 5 stopped: One or more alarms have been activated: ddb-ingest-dev-errors. CodeDeploy rolled live back to version 4 (deployment d-BACK).',
    );
    expect(progress.map((p) => [p.deploymentId, p.status, p.rollingBack])).toEqual([
      ['d-NEW', 'Stopped', false],
      ['d-BACK', 'InProgress', true],
      ['d-BACK', 'Succeeded', true],
    ]);
  });

  test('a failed deployment whose rollback fails too is canary.failed', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4' });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW' });
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-NEW' }).resolves({
      deploymentInfo: {
        deploymentId: 'd-NEW',
        status: 'Failed',
        rollbackInfo: { rollbackDeploymentId: 'd-BACK' },
      },
    });
    codedeploy
      .on(GetDeploymentCommand, { deploymentId: 'd-BACK' })
      .resolves({ deploymentInfo: { deploymentId: 'd-BACK', status: 'Failed' } });
    const err = await deployVersion({ ...target(), version: '5', confirmRolledBack: async () => true }).catch(
      (e) => e,
    );
    expect((err as CanaryError).code).toBe('canary.failed');
    expect((err as CanaryError).message).toBe(
      'Deployment d-NEW of version 5 failed, and its rollback d-BACK did not succeed.',
    );
  });

  test('a version CodeDeploy rolled back before is not deployed again without a yes', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4' });
    listDeployments([], ['d-OLD', 'd-BAD', 'd-AUTO']);
    codedeploy.on(BatchGetDeploymentsCommand, { deploymentIds: ['d-OLD', 'd-BAD', 'd-AUTO'] }).resolves({
      deploymentsInfo: [
        info('d-OLD', 'Succeeded', '3', '4', { createTime: new Date('2026-11-29T09:00:00Z') }),
        info('d-BAD', 'Stopped', '4', '5', { createTime: new Date('2026-11-30T09:00:00Z') }),
        // CodeDeploy's rollback of d-BAD, newer, succeeded: it does not clear the mark.
        info('d-AUTO', 'Succeeded', '4', '5', {
          createTime: new Date('2026-11-30T09:06:00Z'),
          creator: 'codeDeployRollback',
        }),
      ],
    });
    const asked: unknown[] = [];
    const err = await deployVersion({
      ...target(),
      version: '5',
      preTraffic: async () => {
        throw new Error('no check for a declined deployment');
      },
      confirmRolledBack: async (rolled) => {
        asked.push(rolled);
        return false;
      },
    }).catch((e) => e);
    expect(asked).toEqual([
      { version: '5', deploymentId: 'd-BAD', how: 'automatic', at: new Date('2026-11-30T09:00:00Z') },
    ]);
    expect((err as CanaryError).code).toBe('canary.declined');
    expect(codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  test('a failing pre-traffic check stops the deployment before it exists', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4' });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    const failed = new CanaryError('canary.pre-traffic-failed', 'version 5 failed');
    const err = await deployVersion({
      ...target(),
      version: '5',
      preTraffic: async () => {
        throw failed;
      },
      confirmRolledBack: async () => true,
    }).catch((e) => e);
    expect(err).toBe(failed);
    expect(codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  test('a deployment that stays "Created" (an emulator without CodeDeploy) fails after the start timeout, naming the stack switch', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4' });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-STUCK' });
    codedeploy
      .on(GetDeploymentCommand)
      .resolves({ deploymentInfo: { deploymentId: 'd-STUCK', status: 'Created' } });
    const clock = fakeClock();
    const start = clock.now();
    const err = await deployVersion({
      ...target(clock),
      version: '5',
      startTimeoutMs: 30_000,
      confirmRolledBack: async () => true,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(CanaryError);
    expect((err as CanaryError).code).toBe('canary.not-started');
    expect((err as CanaryError).message).toContain('d-STUCK is still "Created" after 30 s');
    expect(clock.now() - start).toBe(30_000);
    const shown = toCliError(err);
    if (!shown) throw new Error('not rendered');
    expect(shown.exitCode).toBe(1);
    expect(shown.hint).toContain('"deployment": { "codedeploy": false }');
    expect(shown.hint).toContain('aws deploy get-deployment --deployment-id d-STUCK');
  });

  test('a deployment that leaves "Created" is followed past the start timeout', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '5' });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-SLOW' });
    codedeploy
      .on(GetDeploymentCommand)
      .resolvesOnce({ deploymentInfo: { deploymentId: 'd-SLOW', status: 'Created' } })
      .resolvesOnce({ deploymentInfo: { deploymentId: 'd-SLOW', status: 'InProgress' } })
      .resolvesOnce({ deploymentInfo: { deploymentId: 'd-SLOW', status: 'InProgress' } })
      .resolves({ deploymentInfo: { deploymentId: 'd-SLOW', status: 'Succeeded' } });
    lambda.on(GetAliasCommand).resolvesOnce({ FunctionVersion: '4' }).resolves({ FunctionVersion: '5' });
    const result = await deployVersion({
      ...target(),
      version: '5',
      startTimeoutMs: 1500,
      confirmRolledBack: async () => true,
    });
    expect(result).toMatchObject({ result: 'succeeded', deploymentId: 'd-SLOW' });
  });
});

describe('without CodeDeploy (deployment.codedeploy false): the CLI moves live itself', () => {
  const direct = (clock = fakeClock()) => ({
    lambda: new LambdaClient({ region: 'us-east-1' }),
    functionName: FN,
    clock,
  });
  const versions = (...v: string[]) =>
    lambda
      .on(ListVersionsByFunctionCommand)
      .resolves({ Versions: ['$LATEST', ...v].map((Version) => ({ Version })) });

  test('the alias description records a move and reads back; other text is no record', () => {
    const at = new Date('2026-12-01T10:00:00.000Z');
    const text = aliasMoveDescription({
      kind: 'rollback',
      functionName: FN,
      alias: 'live',
      from: '2',
      to: '1',
      at,
    });
    expect(text).toBe(`ddb-ingest:rollback: ${FN} live 2 -> 1 at 2026-12-01T10:00:00.000Z`);
    expect(parseAliasMove(text)).toEqual({ kind: 'rollback', from: '2', to: '1', at });
    expect(parseAliasMove('The version the event source mapping invokes')).toBeUndefined();
    expect(parseAliasMove(undefined)).toBeUndefined();
  });

  test('up: one UpdateAlias to the new version, recorded; nothing when live is on it', async () => {
    lambda.on(GetAliasCommand).resolvesOnce({ FunctionVersion: '4' }).resolves({ FunctionVersion: '5' });
    lambda.on(UpdateAliasCommand).resolves({});
    let asked = 0;
    const confirmRolledBack = async () => {
      asked++;
      return true;
    };
    expect(await moveAliasAtOnce({ ...direct(), version: '5', confirmRolledBack })).toEqual({
      result: 'moved',
      from: '4',
      to: '5',
    });
    expect(lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      {
        FunctionName: FN,
        Name: 'live',
        FunctionVersion: '5',
        RoutingConfig: { AdditionalVersionWeights: {} },
        Description: `ddb-ingest:deploy: ${FN} live 4 -> 5 at 2026-12-01T10:00:00.000Z`,
      },
    ]);
    expect(await moveAliasAtOnce({ ...direct(), version: '5', confirmRolledBack })).toEqual({
      result: 'up-to-date',
      version: '5',
    });
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(1);
    expect(asked).toBe(0);
  });

  test('up after a rollback away from the version asks first; no means nothing moves', async () => {
    lambda.on(GetAliasCommand).resolves({
      FunctionVersion: '1',
      Description: `ddb-ingest:rollback: ${FN} live 2 -> 1 at 2026-12-01T09:00:00.000Z`,
    });
    const err = await moveAliasAtOnce({
      ...direct(),
      version: '2',
      confirmRolledBack: async () => false,
    }).catch((e) => e);
    expect((err as CanaryError).code).toBe('canary.declined');
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
    const asked: unknown[] = [];
    lambda.on(UpdateAliasCommand).resolves({});
    await moveAliasAtOnce({
      ...direct(),
      version: '2',
      confirmRolledBack: async (info) => {
        asked.push(info);
        return true;
      },
    });
    expect(asked).toEqual([{ version: '2', how: 'rollback', at: new Date('2026-12-01T09:00:00.000Z') }]);
    expect(lambda.commandCalls(UpdateAliasCommand)[0]?.args[0].input.FunctionVersion).toBe('2');
  });

  test('rollback: back to the version the last deploy moved live from, recorded; asked first', async () => {
    lambda.on(GetAliasCommand).resolves({
      FunctionVersion: '3',
      Description: `ddb-ingest:deploy: ${FN} live 1 -> 3 at 2026-12-01T09:00:00.000Z`,
    });
    versions('1', '2', '3');
    lambda.on(UpdateAliasCommand).resolves({});
    const plans: unknown[] = [];
    const result = await rollbackAtOnce({
      ...direct(),
      confirm: async (plan) => {
        plans.push(plan);
        return true;
      },
    });
    expect(result).toEqual({ result: 'moved-back', from: '3', to: '1' });
    expect(plans).toEqual([{ from: '3', to: '1' }]);
    expect(lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      {
        FunctionName: FN,
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: {} },
        Description: `ddb-ingest:rollback: ${FN} live 3 -> 1 at 2026-12-01T10:00:00.000Z`,
      },
    ]);
  });

  test('rollback without a record: the newest published version below live; none, or an unknown --to-version, is refused', async () => {
    lambda.on(UpdateAliasCommand).resolves({});
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '3', Description: 'set by hand' });
    versions('1', '2', '3');
    expect(await rollbackAtOnce({ ...direct(), confirm: async () => true })).toEqual({
      result: 'moved-back',
      from: '3',
      to: '2',
    });
    const unknown = await rollbackAtOnce({ ...direct(), toVersion: '7', confirm: async () => true }).catch(
      (e) => e,
    );
    expect((unknown as CanaryError).code).toBe('canary.no-such-version');
    expect((unknown as CanaryError).message).toContain('no published version 7 (published: 1, 2, 3)');
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '1' });
    const none = await rollbackAtOnce({ ...direct(), confirm: async () => true }).catch((e) => e);
    expect((none as CanaryError).code).toBe('canary.nothing-to-roll-back');
    expect(await rollbackAtOnce({ ...direct(), toVersion: '3', confirm: async () => false })).toEqual({
      result: 'declined',
    });
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(1);
  });
});

describe('rollback', () => {
  test('a deployment running: StopDeployment with auto-rollback, then its rollback is followed', async () => {
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-RUN'] });
    codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-RUN' }).resolves({
      deploymentInfo: {
        ...info('d-RUN', 'Stopped', '4', '5'),
        rollbackInfo: { rollbackDeploymentId: 'd-BACK' },
      },
    });
    codedeploy
      .on(GetDeploymentCommand, { deploymentId: 'd-BACK' })
      .resolves({ deploymentInfo: { deploymentId: 'd-BACK', status: 'Succeeded' } });
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4' });
    const plans: unknown[] = [];
    const result = await rollback({
      ...target(),
      confirm: async (plan) => {
        plans.push(plan);
        return true;
      },
    });
    expect(plans).toEqual([{ stop: 'd-RUN' }]);
    expect(codedeploy.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { deploymentId: 'd-RUN', autoRollbackEnabled: true },
    ]);
    expect(result).toEqual({
      result: 'stopped',
      deploymentId: 'd-RUN',
      rollbackDeploymentId: 'd-BACK',
      version: '4',
    });
    expect(codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  test('none running: a new all-at-once deployment moves live back to the version before the last deployment', async () => {
    listDeployments([], ['d-1', 'd-2']);
    codedeploy.on(BatchGetDeploymentsCommand).resolves({
      deploymentsInfo: [
        info('d-1', 'Succeeded', '3', '4', { createTime: new Date('2026-11-29T09:00:00Z') }),
        info('d-2', 'Succeeded', '4', '5', { createTime: new Date('2026-11-30T09:00:00Z') }),
      ],
    });
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '5' });
    codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-RB' });
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-RB' }).resolves({
      deploymentInfo: { deploymentId: 'd-RB', status: 'Succeeded' },
    });
    const plans: unknown[] = [];
    const result = await rollback({
      ...target(),
      confirm: async (plan) => {
        plans.push(plan);
        return true;
      },
    });
    expect(plans).toEqual([{ from: '5', to: '4' }]);
    expect(result).toEqual({ result: 'rolled-back', deploymentId: 'd-RB', from: '5', to: '4' });
    const input = codedeploy.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
    expect(input).toEqual({
      ...group,
      revision: {
        revisionType: 'AppSpecContent',
        appSpecContent: lambdaAppSpec({
          functionName: FN,
          alias: 'live',
          currentVersion: '5',
          targetVersion: '4',
        }),
      },
      description: `ddb-ingest:rollback: ${FN} live 5 -> 4`,
      deploymentConfigName: ROLLBACK_CONFIG,
    });
  });

  test('the rollback is recorded: the next deploy of the rolled-back version asks first', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4' });
    listDeployments([], ['d-2', 'd-RB']);
    codedeploy.on(BatchGetDeploymentsCommand).resolves({
      deploymentsInfo: [
        info('d-2', 'Succeeded', '4', '5', { createTime: new Date('2026-11-30T09:00:00Z') }),
        info('d-RB', 'Succeeded', '5', '4', {
          createTime: new Date('2026-11-30T10:00:00Z'),
          description: `ddb-ingest:rollback: ${FN} live 5 -> 4`,
        }),
      ],
    });
    const asked: unknown[] = [];
    await deployVersion({
      ...target(),
      version: '5',
      confirmRolledBack: async (rolled) => {
        asked.push(rolled);
        return false;
      },
    }).catch(() => undefined);
    expect(asked).toEqual([
      { version: '5', deploymentId: 'd-RB', how: 'rollback', at: new Date('2026-11-30T10:00:00Z') },
    ]);
  });

  test('no earlier version known: nothing to roll back, nothing created; --to-version names one', async () => {
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '1' });
    const err = await rollback({ ...target(), confirm: async () => true }).catch((e) => e);
    expect((err as CanaryError).code).toBe('canary.nothing-to-roll-back');
    expect(codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);

    codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-RB' });
    codedeploy
      .on(GetDeploymentCommand)
      .resolves({ deploymentInfo: { deploymentId: 'd-RB', status: 'Succeeded' } });
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '3' });
    const result = await rollback({ ...target(), toVersion: '2', confirm: async () => true });
    expect(result).toEqual({ result: 'rolled-back', deploymentId: 'd-RB', from: '3', to: '2' });
  });

  test('declined: nothing is stopped or created', async () => {
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-RUN'] });
    expect(await rollback({ ...target(), confirm: async () => false })).toEqual({ result: 'declined' });
    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });
});

describe('preTrafficCheck', () => {
  const STREAM =
    'arn:aws:dynamodb:us-east-1:123456789012:table/ddb-ingest-orders/stream/2026-12-01T00:00:00.000';
  const record = (seq: string, orderId: string, created = 1_764_578_000) => ({
    eventID: `e-${seq}`,
    eventName: 'MODIFY' as const,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: new Date(created * 1000),
      Keys: { orderId: { S: orderId } },
      NewImage: { orderId: { S: orderId }, status: { S: 'PAID' } },
      SequenceNumber: seq,
      SizeBytes: 42,
      StreamViewType: 'NEW_AND_OLD_IMAGES' as const,
    },
  });

  function streamHolds(records: ReturnType<typeof record>[]) {
    streams.on(DescribeStreamCommand).resolves({
      StreamDescription: {
        StreamArn: STREAM,
        StreamStatus: 'ENABLED',
        Shards: [{ ShardId: 'shard-1', SequenceNumberRange: { StartingSequenceNumber: '100' } }],
      },
    });
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    streams
      .on(GetRecordsCommand, { ShardIterator: 'it-1' })
      .resolves({ Records: records, NextShardIterator: 'it-2' });
    streams
      .on(GetRecordsCommand, { ShardIterator: 'it-2' })
      .resolves({ Records: [], NextShardIterator: 'it-3' });
  }

  function sinkHolds(items: Record<string, string>) {
    dynamodb.on(BatchGetItemCommand).callsFake((input) => {
      const keys = input.RequestItems['ddb-ingest-ingested'].Keys as { pk: { S: string } }[];
      return {
        Responses: {
          'ddb-ingest-ingested': keys
            .filter((k) => items[k.pk.S] !== undefined)
            .map((k) => ({ pk: { S: k.pk.S }, lastSequenceNumber: { S: items[k.pk.S] as string } })),
        },
      };
    });
  }

  function check(count = 10) {
    return preTrafficCheck({
      streams: new DynamoDBStreamsClient({ region: 'us-east-1' }),
      streamArn: STREAM,
      lambda: new LambdaClient({ region: 'us-east-1' }),
      functionName: FN,
      version: '5',
      count,
      applied: appliedBySinkSequence({
        dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
        sinkTable: 'ddb-ingest-ingested',
        hashKey: 'orderId',
      }),
      clock: fakeClock(),
    });
  }

  test('the new version gets the applied records only, by number, and passes when it reports no failure', async () => {
    streamHolds([record('101', 'a'), record('102', 'b'), record('103', 'a'), record('104', 'c')]);
    // a is applied up to 103, b up to 102; c (104) is not applied yet.
    sinkHolds({ 'ORDER#a': '103', 'ORDER#b': '102' });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: blob('{"batchItemFailures":[]}') });

    expect(await check()).toEqual({
      result: 'passed',
      version: '5',
      records: 3,
      firstSequence: '101',
      lastSequence: '103',
    });
    const get = dynamodb.commandCalls(BatchGetItemCommand)[0]?.args[0].input;
    expect(get?.RequestItems?.['ddb-ingest-ingested']).toEqual({
      Keys: [{ pk: { S: 'ORDER#a' } }, { pk: { S: 'ORDER#b' } }, { pk: { S: 'ORDER#c' } }],
      ConsistentRead: true,
      ProjectionExpression: '#pk, #seq',
      ExpressionAttributeNames: { '#pk': 'pk', '#seq': 'lastSequenceNumber' },
    });
    const invoke = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect({ ...invoke, Payload: undefined }).toEqual({
      FunctionName: FN,
      Qualifier: '5',
      InvocationType: 'RequestResponse',
      LogType: 'Tail',
      Payload: undefined,
    });
    const event = JSON.parse(Buffer.from(invoke?.Payload as Uint8Array).toString('utf8')) as {
      Records: { dynamodb: { SequenceNumber: string } }[];
    };
    expect(event.Records.map((r) => r.dynamodb.SequenceNumber)).toEqual(['101', '102', '103']);
  });

  test('only the last `count` applied records are replayed', async () => {
    streamHolds([record('101', 'a'), record('102', 'b'), record('103', 'c')]);
    sinkHolds({ 'ORDER#a': '101', 'ORDER#b': '102', 'ORDER#c': '103' });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: blob('{"batchItemFailures":[]}') });
    expect(await check(2)).toMatchObject({ result: 'passed', records: 2, firstSequence: '102' });
  });

  test('a function error fails the check with what the version answered', async () => {
    streamHolds([record('101', 'a')]);
    sinkHolds({ 'ORDER#a': '101' });
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: blob('{"errorType":"TypeError","errorMessage":"boom"}'),
      LogResult: Buffer.from('the log tail').toString('base64'),
    });
    const err = await check().catch((e) => e);
    expect((err as CanaryError).code).toBe('canary.pre-traffic-failed');
    expect((err as CanaryError).message).toBe(
      `Pre-traffic check: version 5 of ${FN} failed (Unhandled: TypeError: boom) on 1 records the pipeline had already applied.`,
    );
    expect((err as CanaryError).details).toMatchObject({
      version: '5',
      errorType: 'TypeError',
      logTail: 'the log tail',
    });
  });

  test('reported batch item failures fail the check', async () => {
    streamHolds([record('101', 'a'), record('102', 'b')]);
    sinkHolds({ 'ORDER#a': '101', 'ORDER#b': '102' });
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: blob('{"batchItemFailures":[{"itemIdentifier":"102"}]}'),
    });
    const err = await check().catch((e) => e);
    expect((err as CanaryError).code).toBe('canary.pre-traffic-failed');
    expect((err as CanaryError).message).toContain('reported 1 of 2 records as failed');
    expect((err as CanaryError).details).toMatchObject({ batchItemFailures: ['102'] });
  });

  test('skipped with a reason when the stream is empty, or nothing in it is applied yet; no invocation', async () => {
    streamHolds([]);
    expect(await check()).toEqual({ result: 'skipped', reason: 'stream-empty' });
    streams.reset();
    streamHolds([record('101', 'a')]);
    sinkHolds({});
    expect(await check()).toEqual({ result: 'skipped', reason: 'nothing-applied-yet' });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  test("for a handler of one's own, applied means older than five minutes", async () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    const r = (ageMs: number) => ({
      ...record('1', 'x'),
      dynamodb: {
        ...record('1', 'x').dynamodb,
        SequenceNumber: String(ageMs),
        ApproximateCreationDateTime: (now - ageMs) / 1000,
      },
    });
    const kept = await appliedByAge(now)([r(600_000), r(300_000), r(60_000)] as never);
    expect(kept.map((k) => k.dynamodb.SequenceNumber)).toEqual(['600000', '300000']);
  });
});
