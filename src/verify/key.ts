import { readFile } from 'node:fs/promises';
import { keyFromSecretText } from '../../lambda/src/lib/secret.js';
import { classifyAwsFailure } from '../aws/failures.js';
import { VerifyError } from './errors.js';

/** The local PII key from its 0600 file (same bytes the handler uses). */
export async function readLocalPiiKey(file: string): Promise<Buffer> {
  try {
    return keyFromSecretText(await readFile(file, 'utf8'));
  } catch (err) {
    throw new VerifyError(
      'verify.local-key-unreadable',
      `Cannot read the local PII key ${file}: ${(err as Error).message}`,
      {
        cause: err,
        details: { file },
      },
    );
  }
}

export interface SsmPiiKeyOptions {
  /** The one-off command that creates the parameter (the deployment's pii_key_setup_command output). */
  setupCommand?: string;
}

/**
 * The aws target's PII key from its SSM SecureString parameter (decrypted,
 * held in memory only). Failures keep their cause: a missing parameter, a
 * denied read or decrypt, and anything else (network, credentials,
 * throttling: the SDK classification) each have their own code; the value
 * never appears in a message.
 */
export async function readSsmPiiKey(
  ssm: Pick<import('@aws-sdk/client-ssm').SSMClient, 'send'>,
  parameterName: string,
  options: SsmPiiKeyOptions = {},
): Promise<Buffer> {
  const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
  let value: string | undefined;
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
    value = out.Parameter?.Value;
  } catch (err) {
    throw ssmKeyError(err, parameterName, options);
  }
  try {
    return keyFromSecretText(value ?? '');
  } catch (err) {
    throw new VerifyError(
      'verify.ssm-key-empty',
      `SSM parameter ${parameterName} holds no usable key: ${(err as Error).message}`,
      { cause: err, details: { parameterName, setupCommand: options.setupCommand } },
    );
  }
}

function ssmKeyError(err: unknown, parameterName: string, options: SsmPiiKeyOptions): Error {
  const name = (err as Error)?.name ?? '';
  const detail = (err as Error)?.message ?? String(err);
  const details = { parameterName, setupCommand: options.setupCommand, errorName: name };
  if (name === 'ParameterNotFound' || name === 'ParameterVersionNotFound') {
    return new VerifyError(
      'verify.ssm-key-missing',
      `SSM parameter ${parameterName} does not exist (${name}): the PII key has not been created.`,
      { cause: err, details },
    );
  }
  if (/AccessDenied|^KMS|InvalidKeyId/.test(name)) {
    return new VerifyError(
      'verify.ssm-key-denied',
      `Not allowed to read SSM parameter ${parameterName} (${name}): ${detail}`,
      { cause: err, details },
    );
  }
  return (
    classifyAwsFailure(err) ??
    new VerifyError(
      'verify.ssm-key-unreadable',
      `Cannot read SSM parameter ${parameterName} (${name || 'error'}): ${detail}`,
      { cause: err, details },
    )
  );
}
