import { deployedRelease } from '../../src/targets/aws/deployedFunction.js';
import type { AwsOutputs, DeployedFunction } from '../../src/targets/aws/terraform.js';
import { TargetError } from '../../src/targets/errors.js';

// Which Lambda function, alias and CodeDeploy group `rollback --function` and
// the release after `up` move, from the outputs `up` saved.

const FILE = '/state/aws-outputs.json';

const deployed = (extra: Partial<DeployedFunction> = {}): DeployedFunction => ({
  function_arn: 'arn:aws:lambda:us-east-1:123456789012:function:audit',
  function_version: '3',
  live_alias_arn: 'arn:aws:lambda:us-east-1:123456789012:function:audit:live',
  log_group_name: '/aws/lambda/audit',
  dlq_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
  dlq_arn: 'arn:aws:sqs:us-east-1:123456789012:q',
  codedeploy_app_name: null,
  codedeploy_deployment_group_name: null,
  ...extra,
});

const outputs = (o: Partial<AwsOutputs>) => o as AwsOutputs;

test('a function of the functions output: its Lambda name, alias and CodeDeploy group', () => {
  const o = outputs({
    functions: {
      audit: deployed({
        function_name: 'audit',
        live_alias_name: 'live',
        codedeploy_app_name: 'app-audit',
        codedeploy_deployment_group_name: 'live-audit',
      }),
      ingest: deployed({ function_name: 'ingest', live_alias_name: 'live' }),
    },
  });
  expect(deployedRelease(o, {}, 'audit', FILE)).toEqual({
    functionName: 'audit',
    alias: 'live',
    group: { applicationName: 'app-audit', deploymentGroupName: 'live-audit' },
  });
  // Without CodeDeploy: no group, so live moves at once.
  expect(deployedRelease(o, {}, 'ingest', FILE)).toEqual({ functionName: 'ingest', alias: 'live' });
});

test('outputs saved before function_name and live_alias_name: the key and the default alias', () => {
  expect(deployedRelease(outputs({ functions: { audit: deployed() } }), {}, 'audit', FILE)).toEqual({
    functionName: 'audit',
  });
});

test('the built-in pipeline from outputs saved before the functions output', () => {
  const o = outputs({
    function_name: 'orders-fn',
    codedeploy_app_name: 'app',
    codedeploy_deployment_group_name: 'group',
  });
  const model = { pipeline: { sourceTable: 's', sinkTable: 'k', function: 'orders-fn' } };
  expect(deployedRelease(o, model, 'orders-fn', FILE)).toEqual({
    functionName: 'orders-fn',
    group: { applicationName: 'app', deploymentGroupName: 'group' },
  });
  // Only the pipeline's function may fall back to the single-pipeline outputs.
  expect(() => deployedRelease(o, model, 'other', FILE)).toThrow(TargetError);
});

test('a function the outputs do not have is named, with the deployed ones', () => {
  const o = outputs({ function_name: null as unknown as string, functions: { ingest: deployed() } });
  let error: unknown;
  try {
    deployedRelease(o, {}, 'audit', FILE);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TargetError);
  expect(error).toMatchObject({
    code: 'targets.function-not-deployed',
    message: `${FILE} has no deployed function audit.`,
    details: { file: FILE, function: 'audit', deployed: ['ingest'] },
  });
});
