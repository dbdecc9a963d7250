import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One canned HTTP answer. */
export interface CannedResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface FakeAws {
  endpoint: string;
  /** Requests seen, as `METHOD path` (operation in x-amz-target when there is one). */
  requests: string[];
  /** The answer to every request from now on. */
  respond(response: CannedResponse): void;
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 that answers every request with a canned
 * response: a stand-in for a misbehaving AWS endpoint (an HTML error page, a
 * throttling or 5xx answer), so the real SDK clients parse real bytes.
 */
export async function startFakeAws(initial: CannedResponse): Promise<FakeAws> {
  let current = initial;
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${req.headers['x-amz-target'] ?? ''}`.trim());
      res.writeHead(current.status, { 'content-type': 'application/json', ...current.headers });
      res.end(current.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    respond(response) {
      current = response;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An AWS JSON-protocol error body, as services send them. */
export function awsJsonError(type: string, message: string): string {
  return JSON.stringify({ __type: type, message });
}
