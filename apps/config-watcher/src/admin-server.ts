// The watcher's admin port (default 15022): /metrics for Prometheus, /ready (200 once the
// destination holds a good config: a startupProbe for a native sidecar) and /live for the kubelet.
import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import { renderMetrics } from '@outrigger/telemetry';

export interface AdminOptions {
  address: string;
  port: number;
  registries: Registry[];
  isReady: () => boolean;
}

export interface RunningAdmin {
  port: number;
  close(): Promise<void>;
}

export async function startAdminServer(opts: AdminOptions): Promise<RunningAdmin> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const plain = (status: number, body: string) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
    if (req.method !== 'GET' && req.method !== 'HEAD') return void plain(405, 'method not allowed\n');
    if (path === '/live') return void plain(200, 'live\n');
    if (path === '/ready') return void (opts.isReady() ? plain(200, 'ready\n') : plain(503, 'not ready: no good config in the destination yet\n'));
    if (path === '/metrics') {
      void renderMetrics(opts.registries).then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: Error) => plain(500, `metrics failed: ${err.message}\n`),
      );
      return;
    }
    plain(404, 'not found: /metrics, /ready, /live\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: address && typeof address === 'object' ? address.port : opts.port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
