import { createHash } from 'node:crypto';

/** Where and what a Lambda deployment shifts: the alias, from one version to another. */
export interface AliasShift {
  functionName: string;
  alias: string;
  currentVersion: string;
  targetVersion: string;
}

/**
 * The AppSpec of a CodeDeploy Lambda deployment, sent inline (no S3 bucket):
 * CodeDeploy moves `alias` from `currentVersion` to `targetVersion` as the
 * deployment config says. No hooks: the pre-traffic check runs in the CLI
 * before the deployment exists.
 */
export function lambdaAppSpec(shift: AliasShift): { content: string; sha256: string } {
  const content = JSON.stringify({
    version: 0.0,
    Resources: [
      {
        [shift.functionName]: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Name: shift.functionName,
            Alias: shift.alias,
            CurrentVersion: shift.currentVersion,
            TargetVersion: shift.targetVersion,
          },
        },
      },
    ],
  });
  return { content, sha256: createHash('sha256').update(content).digest('hex') };
}

/** The shift an AppSpec (as CodeDeploy returns it for a deployment) describes, or undefined. */
export function shiftOfAppSpec(content: string | undefined): AliasShift | undefined {
  if (!content) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return undefined; // YAML AppSpecs are not ours
  }
  const resources = (parsed as { Resources?: unknown }).Resources;
  if (!Array.isArray(resources)) return undefined;
  for (const entry of resources) {
    for (const resource of Object.values((entry ?? {}) as Record<string, unknown>)) {
      const p = (resource as { Properties?: Record<string, unknown> }).Properties;
      if (
        typeof p?.Name === 'string' &&
        typeof p.Alias === 'string' &&
        p.CurrentVersion !== undefined &&
        p.TargetVersion !== undefined
      ) {
        return {
          functionName: p.Name,
          alias: p.Alias,
          currentVersion: String(p.CurrentVersion),
          targetVersion: String(p.TargetVersion),
        };
      }
    }
  }
  return undefined;
}
