// The admin server (default :15020). For Prometheus and the kubelet: /metrics (Outrigger's series,
// the process's, and the app's own when configured), /ready, /live. For people: / (a live
// dashboard), /stats, /config (effective, secrets redacted), /certs, /app-health/... (the app's
// rewritten kubelet probes). From loopback only:
// PUT /log-level, GET /tap (a live SSE stream of request records), POST /shutdown.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { renderMetrics, type Metrics } from '@outrigger/telemetry';
import { listen } from '../listen.ts';
import type { RecordFeed } from '../record-feed.ts';
import { scrapeApp } from './app-metrics.ts';
import { runProbe, type ProbeTable } from './app-health.ts';
import { DASHBOARD_HTML } from './dashboard-page.ts';
import { computeStats } from './stats.ts';

export interface AdminDeps {
  address: string;
  port: number;
  metrics: Metrics;
  registries: Registry[];
  app: () => { url: string; timeout: number } | undefined;
  feed: RecordFeed;
  isReady: () => boolean;
  config: () => unknown;
  certs: () => unknown;
  identity: () => string | null;
  setLogLevel: (level: string) => string | null;
  shutdown: () => void;
  /** Probes rewritten by the injector (OUTRIGGER_APP_PROBES), and the host they reach the app on. */
  probes: ProbeTable;
  probeHost: (port: number) => string;
}

export interface RunningAdmin {
  port: number;
  close(): Promise<void>;
}

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
const started = Date.now();

export async function startAdminServer(deps: AdminDeps): Promise<RunningAdmin> {
  const taps = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    void route(req, res, deps, taps).catch((err: Error) => {
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
        for (const tap of taps) tap.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function isLoopback(req: IncomingMessage): boolean {
  const a = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  return a.startsWith('127.') || a === '::1';
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(`${JSON.stringify(body, null, 2)}\n`);
}
function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}

async function readBody(req: IncomingMessage, limit = 1024): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > limit) throw new Error('body too large');
  }
  return body;
}

async function route(req: IncomingMessage, res: ServerResponse, deps: AdminDeps, taps: Set<ServerResponse>): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const method = req.method ?? 'GET';
  if (path.startsWith('/app-health/') && (method === 'GET' || method === 'HEAD')) {
    // From any client: the kubelet probes from the node.
    const spec = deps.probes.get(path);
    if (!spec) return plain(res, 404, `no probe ${path}: OUTRIGGER_APP_PROBES has ${[...deps.probes.keys()].join(', ') || 'none'}\n`);
    const status = await runProbe(spec, deps.probeHost(spec.httpGet?.port ?? spec.tcpSocket?.port ?? 0));
    return plain(res, status, status === 200 ? 'ok\n' : `probe failed: ${status}\n`);
  }
  const key = `${method === 'HEAD' ? 'GET' : method} ${path}`;
  switch (key) {
    case 'GET /metrics': {
      const { contentType, body } = await renderMetrics(deps.registries);
      let app = '';
      const appMetrics = deps.app();
      if (appMetrics) {
        const scraped = await scrapeApp(appMetrics.url, appMetrics.timeout);
        if (scraped.ok) app = scraped.body;
        else deps.metrics.appScrapeErrors.inc({ reason: scraped.reason });
      }
      return void res.writeHead(200, { 'content-type': contentType }).end(body + app);
    }
    case 'GET /ready':
      return deps.isReady() ? plain(res, 200, 'ready\n') : plain(res, 503, 'not ready\n');
    case 'GET /live':
      return plain(res, 200, 'live\n');
    case 'GET /':
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(DASHBOARD_HTML);
    case 'GET /stats': {
      const stats = computeStats(await deps.metrics.registry.getMetricsAsJSON() as Parameters<typeof computeStats>[0]);
      return json(res, 200, { ...stats, identity: deps.identity(), uptimeSeconds: (Date.now() - started) / 1000, recent: deps.feed.recent().slice(0, 20) });
    }
    case 'GET /config':
      return json(res, 200, deps.config());
    case 'GET /certs':
      return json(res, 200, deps.certs());
  }
  if (!isLoopback(req) && ['PUT /log-level', 'GET /tap', 'POST /shutdown'].includes(key)) {
    return plain(res, 403, `${path} is served to loopback clients only\n`);
  }
  switch (key) {
    case 'PUT /log-level': {
      const level = (await readBody(req)).trim().replace(/^level=/, '');
      if (!LOG_LEVELS.has(level)) return plain(res, 400, `unknown level "${level}": one of ${[...LOG_LEVELS].join(', ')}\n`);
      const previous = deps.setLogLevel(level);
      return plain(res, 200, `log level ${previous} -> ${level}\n`);
    }
    case 'GET /tap': {
      // Server-sent events: one `data:` line per request or TCP connection record, as they end.
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': outrigger tap: one event per access-log record\n\n');
      taps.add(res);
      const unsubscribe = deps.feed.subscribe((record) => res.write(`data: ${JSON.stringify(record)}\n\n`));
      req.socket.setTimeout(0);
      res.once('close', () => {
        unsubscribe();
        taps.delete(res);
      });
      return;
    }
    case 'POST /shutdown':
      plain(res, 202, 'draining\n');
      return deps.shutdown();
  }
  const known = ['/metrics', '/ready', '/live', '/', '/stats', '/config', '/certs', '/log-level', '/tap', '/shutdown'];
  if (known.includes(path)) return plain(res, 405, `${method} not allowed on ${path}\n`);
  plain(res, 404, `not found: try ${known.join(', ')}, /app-health/<container>/<probe>\n`);
}
