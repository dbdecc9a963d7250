import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { getFreePort } from '../../src/util/net.js';

/** Credentials and region for moto: it accepts any, but the SDKs and Terraform want some. */
export const MOTO_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

export interface TestMoto {
  endpoint: string;
  port: number;
  pid: number;
  /** Calls moto's own API (`/moto-api/...`); throws on a non-2xx answer. */
  api(path: string, body?: unknown): Promise<unknown>;
  /**
   * One AWS query-protocol call (IAM, CloudWatch...) for services the test
   * has no SDK client for; returns the XML. moto checks no signature, only
   * the credential scope that names the service.
   */
  query(signingName: string, action: string, version: string): Promise<string>;
  /**
   * Queues the payloads the next Lambda Invokes return (moto's simple Lambda
   * backend runs no code): each is JSON-encoded as the function's response.
   */
  lambdaResults(results: unknown[], region?: string): Promise<void>;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'The aws-target suite runs against moto server: install Python 3 and moto with its server extra (pip install "moto[server]>=5"), so that `python3 -m moto.server --help` works.';

/**
 * Fails loudly, naming what to install, when python3 or moto's server is
 * missing: a missing emulator is a broken test machine, never a skip.
 */
export function requireMoto(python = 'python3'): void {
  const probe = spawnSync(python, ['-c', 'import moto, moto.server; print(moto.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.error) throw new Error(`${python} was not found on the PATH. ${INSTALL_HINT}`);
  if (probe.status !== 0) {
    throw new Error(
      `${python} cannot import moto.server (${probe.stderr.trim().split('\n').at(-1)}). ${INSTALL_HINT}`,
    );
  }
}

/**
 * A fresh moto server on a free port of 127.0.0.1 (one per test file), with
 * Lambda set to run without Docker *before* anything is deployed: moto keeps
 * Docker and non-Docker functions in different backends, so switching later
 * loses the functions created before.
 */
export async function startTestMoto(options: { python?: string } = {}): Promise<TestMoto> {
  const python = options.python ?? 'python3';
  requireMoto(python);
  const port = await getFreePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    // moto logs every request to stderr: keep the tail for a failure message only.
    stderr = (stderr + String(chunk)).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  async function api(path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${endpoint}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`moto ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  }

  async function stop(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`moto server exited (${child.exitCode}): ${stderr}`);
      try {
        await api('/moto-api/config');
        break;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`moto server did not answer on ${endpoint}: ${(err as Error).message}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await api('/moto-api/config', { lambda: { use_docker: false } });
    const config = (await api('/moto-api/config')) as { lambda?: { use_docker?: boolean } };
    if (config.lambda?.use_docker !== false)
      throw new Error(`moto kept lambda.use_docker: ${JSON.stringify(config)}`);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    endpoint,
    port,
    pid: child.pid as number,
    api,
    async query(signingName, action, version) {
      const scope = `${MOTO_ENV.AWS_ACCESS_KEY_ID}/20260101/${MOTO_ENV.AWS_REGION}/${signingName}/aws4_request`;
      const res = await fetch(`${endpoint}/`, {
        method: 'POST',
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=00`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ Action: action, Version: version }).toString(),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`moto ${signingName} ${action}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return text;
    },
    async lambdaResults(results, region = MOTO_ENV.AWS_REGION) {
      await api('/moto-api/static/lambda-simple/response', {
        results: results.map((r) => JSON.stringify(r)),
        region,
      });
    },
    stop,
  };
}
