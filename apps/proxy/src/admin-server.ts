// The admin server (default :15020): /metrics for Prometheus, /ready once listeners are bound and
// an identity is loaded (and not while draining), /live while the event loop turns.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { renderMetrics } from '@outrigger/telemetry';
import { listen } from './listen.ts';

export interface AdminDeps {
  address: string;
  port: number;
  registries: Registry[];
  isReady: () => boolean;
}

export interface RunningAdmin {
  port: number;
  close(): Promise<void>;
}

export async function startAdminServer(deps: AdminDeps): Promise<RunningAdmin> {
  const server = createServer((req, res) => {
    void route(req, res, deps).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${err.message}\n`);
    });
  });
  server.keepAliveTimeout = 65_000;
  const port = await listen(server, deps.address, deps.port);
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(req: IncomingMessage, res: ServerResponse, deps: AdminDeps): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  switch (path) {
    case '/metrics': {
      const { contentType, body } = await renderMetrics(deps.registries);
      res.writeHead(200, { 'content-type': contentType }).end(body);
      return;
    }
    case '/ready': {
      const ready = deps.isReady();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
      return;
    }
    case '/live':
      res.writeHead(200, { 'content-type': 'text/plain' }).end('live\n');
      return;
    default:
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /ready, /live\n');
  }
}
