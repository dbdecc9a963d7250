import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to one DynamoDB API call. */
export type Fault =
  | { kind: 'throttle' }
  | { kind: 'serverError' }
  /** BatchWriteItem: forward only the first `keep` requests, return the rest as UnprocessedItems. */
  | { kind: 'unprocessed'; keep: number };

export interface FaultProxy {
  endpoint: string;
  /** Calls seen per operation, e.g. { BatchWriteItem: 12 }. */
  calls: Record<string, number>;
  /** Faults injected per kind. */
  injected: Record<string, number>;
  /** Decides a fault per call (operation name from X-Amz-Target, parsed JSON body). */
  decide: (operation: string, body: Record<string, unknown>) => Fault | undefined;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of DynamoDB Local that injects throttling, 5xx and
 * partial BatchWriteItem results, so retry logic is tested against the real
 * emulator. It listens on 127.0.0.1 only.
 */
export async function startFaultProxy(targetEndpoint: string): Promise<FaultProxy> {
  const target = new URL(targetEndpoint);
  const proxy: FaultProxy = {
    endpoint: '',
    calls: {},
    injected: {},
    decide: () => undefined,
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      proxy.calls[operation] = (proxy.calls[operation] ?? 0) + 1;
      let body = Buffer.concat(chunks);
      const parsed = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      const fault = proxy.decide(operation, parsed);
      const count = (kind: string) => {
        proxy.injected[kind] = (proxy.injected[kind] ?? 0) + 1;
      };
      if (fault?.kind === 'throttle' || fault?.kind === 'serverError') {
        count(fault.kind);
        const [status, type, message] =
          fault.kind === 'throttle'
            ? [400, 'ProvisionedThroughputExceededException', 'Throughput exceeds the limit (injected)']
            : [500, 'InternalServerError', 'Internal server error (injected)'];
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
        return;
      }
      let unprocessed: Record<string, unknown[]> | undefined;
      if (fault?.kind === 'unprocessed' && operation === 'BatchWriteItem') {
        const items = parsed.RequestItems as Record<string, unknown[]>;
        const kept: Record<string, unknown[]> = {};
        unprocessed = {};
        for (const [table, requests] of Object.entries(items)) {
          kept[table] = requests.slice(0, fault.keep);
          if (requests.length > fault.keep) unprocessed[table] = requests.slice(fault.keep);
        }
        // A batch no larger than `keep` goes through whole: nothing was injected.
        if (Object.keys(unprocessed).length > 0) count(fault.kind);
        body = Buffer.from(JSON.stringify({ ...parsed, RequestItems: kept }));
      }
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers },
        (up) => {
          const out: Buffer[] = [];
          up.on('data', (c: Buffer) => out.push(c));
          up.on('end', () => {
            let payload = Buffer.concat(out);
            if (unprocessed && up.statusCode === 200) {
              const json = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
              payload = Buffer.from(JSON.stringify({ ...json, UnprocessedItems: unprocessed }));
            }
            // The body may have been rewritten, so its checksum header would be wrong.
            const { 'x-amz-crc32': _crc, ...rest } = up.headers;
            const h = { ...rest, 'content-length': String(payload.length) };
            res.writeHead(up.statusCode ?? 502, h);
            res.end(payload);
          });
        },
      );
      upstream.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
