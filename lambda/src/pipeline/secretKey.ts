import { readFile, stat } from 'node:fs/promises';
import { keyFromSecretText } from '../lib/secret.js';

/** Yields the pipeline's secret key; fetched once per container, then served from memory. */
export type KeySource = () => Promise<Buffer>;

/** Where the secret lives: only its location is ever configured, never its value. */
export interface KeyLocation {
  /** SSM SecureString parameter name (the aws target); env `PII_KEY_PARAMETER`. */
  parameterName?: string;
  /** Path of a local key file, mode 0600 (the local target); env `PII_KEY_FILE`. */
  keyFile?: string;
  /** Seconds Powertools may cache the SSM value (default 900); our own memo keeps it per container anyway. */
  maxAgeSeconds?: number;
}

/** The key is missing or unreadable: the batch fails as a whole, nothing is written. */
export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

async function fromSsm(name: string, maxAge: number): Promise<Buffer> {
  // Loaded on first use: a local run with a key file never touches SSM.
  const { getParameter } = await import('@aws-lambda-powertools/parameters/ssm');
  let value: string | undefined;
  try {
    value = await getParameter(name, { decrypt: true, maxAge });
  } catch (err) {
    // Powertools wraps the SDK error; its name (AccessDenied, ParameterNotFound...) is what helps.
    const cause = (err as Error).cause;
    const reason = cause instanceof Error ? cause.name : (err as Error).name;
    throw new SecretKeyError(`cannot read the PII key from SSM parameter ${name}: ${reason}`);
  }
  if (typeof value !== 'string') throw new SecretKeyError(`SSM parameter ${name} has no value`);
  try {
    return keyFromSecretText(value);
  } catch {
    throw new SecretKeyError(`SSM parameter ${name} is empty`);
  }
}

async function fromFile(file: string): Promise<Buffer> {
  let text: string;
  try {
    const info = await stat(file);
    // As ssh does with private keys: a key others can read is not a secret any more.
    if ((info.mode & 0o077) !== 0) {
      throw new SecretKeyError(
        `PII key file ${file} is accessible by group or others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 on it`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof SecretKeyError) throw err;
    throw new SecretKeyError(
      `cannot read the PII key file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  try {
    return keyFromSecretText(text);
  } catch {
    throw new SecretKeyError(`PII key file ${file} is empty`);
  }
}

/**
 * A key source for the given location (SSM wins when both are set, as on AWS).
 * A success is memoised for the life of the container; a failure is not, so
 * the next invocation tries again (e.g. after the file was created).
 */
export function createKeySource(location: () => KeyLocation): KeySource {
  let cached: Promise<Buffer> | undefined;
  return () => {
    if (!cached) {
      const { parameterName, keyFile, maxAgeSeconds = 900 } = location();
      const loading = parameterName
        ? fromSsm(parameterName, maxAgeSeconds)
        : keyFile
          ? fromFile(keyFile)
          : Promise.reject(
              new SecretKeyError(
                'no PII key configured: set PII_KEY_PARAMETER (name of an SSM SecureString parameter) or PII_KEY_FILE (path of a local key file)',
              ),
            );
      cached = loading;
      loading.catch(() => {
        if (cached === loading) cached = undefined;
      });
    }
    return cached;
  };
}

/** The key source the deployed function uses: location from the environment at first use. */
export function keySourceFromEnv(env: NodeJS.ProcessEnv = process.env): KeySource {
  return createKeySource(() => ({
    ...(env.PII_KEY_PARAMETER ? { parameterName: env.PII_KEY_PARAMETER } : {}),
    ...(env.PII_KEY_FILE ? { keyFile: env.PII_KEY_FILE } : {}),
  }));
}
