import { readFile } from 'node:fs/promises';
import { keyFromSecretText } from '../../lambda/src/lib/secret.js';
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

/** The aws target's PII key from its SSM SecureString parameter (decrypted, held in memory only). */
export async function readSsmPiiKey(
  ssm: Pick<import('@aws-sdk/client-ssm').SSMClient, 'send'>,
  parameterName: string,
): Promise<Buffer> {
  const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
  let value: string | undefined;
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
    value = out.Parameter?.Value;
  } catch (err) {
    // The error's name (AccessDeniedException, ParameterNotFound) is what helps; never the value.
    throw new VerifyError(
      'verify.ssm-key-unreadable',
      `Cannot read the PII key from SSM parameter ${parameterName}: ${(err as Error).name}`,
      { cause: err, details: { parameterName } },
    );
  }
  try {
    return keyFromSecretText(value ?? '');
  } catch {
    throw new VerifyError('verify.ssm-key-empty', `SSM parameter ${parameterName} is empty.`, {
      details: { parameterName },
    });
  }
}
