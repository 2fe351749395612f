// Kubelet probes of the app, rewritten by the injector to `/app-health/<container>/<probe>` on the
// admin port, so that they keep working when the app's ports take mesh mTLS only (strict mode).
// The original probe specs come in OUTRIGGER_APP_PROBES (JSON keyed by those paths); the proxy runs
// the probe against the app on localhost (or the pod IP) as the kubelet would.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';

export interface ProbeSpec {
  httpGet?: { path?: string; port: number; scheme?: 'HTTP' | 'HTTPS'; httpHeaders?: Array<{ name: string; value: string }> };
  tcpSocket?: { port: number };
  timeoutSeconds?: number;
}

export type ProbeTable = ReadonlyMap<string, ProbeSpec>;

/** The table from OUTRIGGER_APP_PROBES; an unusable value serves no probes (and says why). */
export function parseProbeTable(env: string | undefined): { table: ProbeTable; problem: string | null } {
  if (!env) return { table: new Map(), problem: null };
  try {
    const parsed = JSON.parse(env) as Record<string, ProbeSpec>;
    const table = new Map<string, ProbeSpec>();
    for (const [path, spec] of Object.entries(parsed)) {
      const port = spec.httpGet?.port ?? spec.tcpSocket?.port;
      if (!path.startsWith('/app-health/') || typeof port !== 'number') throw new Error(`entry ${path} has no numeric port or is not under /app-health/`);
      table.set(path, spec);
    }
    return { table, problem: null };
  } catch (err) {
    return { table: new Map(), problem: `OUTRIGGER_APP_PROBES is not usable: ${(err as Error).message}` };
  }
}

/** Runs one probe; the HTTP status the admin server answers with, as the kubelet reads it. */
export function runProbe(spec: ProbeSpec, host: string): Promise<number> {
  const timeoutMs = Math.max(1, spec.timeoutSeconds ?? 1) * 1000;
  if (spec.tcpSocket) {
    return new Promise((resolve) => {
      const socket = connect({ host, port: spec.tcpSocket?.port ?? 0, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve(200);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(503);
      });
      socket.once('error', () => resolve(503));
    });
  }
  const get = spec.httpGet;
  if (!get) return Promise.resolve(503);
  return new Promise((resolve) => {
    const https = get.scheme === 'HTTPS';
    const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
    const options = { host, port: get.port, path: get.path ?? '/', method: 'GET', headers: { 'user-agent': 'kube-probe/outrigger', ...headers }, timeout: timeoutMs };
    // The kubelet does not verify the app's certificate for HTTPS probes; neither do we.
    const req = https ? httpsRequest({ ...options, rejectUnauthorized: false }) : httpRequest(options);
    req.once('response', (res) => {
      res.resume();
      const status = res.statusCode ?? 503;
      resolve(status >= 200 && status < 400 ? 200 : status);
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve(503));
    req.end();
  });
}
