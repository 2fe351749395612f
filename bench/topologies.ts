// The paths under test, each started fresh for one cell (one repetition of one topology) and
// stopped after it: direct to the app, Outrigger sidecars (HTTP pair with and without access log,
// opaque TCP pair, inbound alone), and nginx doing the same pairs at L7 and L4. Proxies run on
// the proxy CPU beside the app; everything binds 127.0.0.1.
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { renderNginxHttp, renderNginxStream, renderOutrigger, type CertPaths, type OutriggerSidecar } from './configs.ts';
import { waitFor, type Proc, type Procs } from './procs.ts';

export interface BenchEnv {
  node: string;
  /** The sidecar as measured: its bundle (tools/build.ts, what the image runs) unless --from-source. */
  proxyMain: string;
  /** apps/proxy/src/main.ts: the profile runs the sources, so frames name our files and packages. */
  proxySourceMain: string;
  /** Node flags for every Outrigger sidecar (--proxy-node-flags), before the cell's own. */
  proxyNodeFlags: string[];
  certs: { a: CertPaths; b: CertPaths };
  appPort: number;
  procs: Procs;
  nginx: { bin: string; streamModule: string | null } | null;
  proxyCpu: number;
}

export interface CellOptions {
  /** Folder of this cell: configs, logs, access logs; removed after the cell. */
  dir: string;
  /** Extra node flags for an Outrigger sidecar, by name (--cpu-prof for the profile run). */
  nodeFlags?: (sidecar: string) => string[];
  /** The CPU of a sidecar, by name; default the proxy CPU (the profile run moves the others away). */
  cpuOf?: (sidecar: string) => number;
  /** Run the sidecars from the TypeScript sources rather than env.proxyMain. */
  fromSource?: boolean;
  /** Run the sidecars from this bundle rather than env.proxyMain (`--vs-ref`: the other version). */
  proxyMain?: string;
}

export interface Startup {
  proxy: string;
  /** The proxy's own `startup_ms` (Outrigger's ready line); null for nginx. */
  selfMs: number | null;
  /** From spawn until the port answers (Outrigger: until the ready line is written). */
  wallMs: number;
}

export interface RunningTopology {
  /** Base URL the load generator calls. */
  url: string;
  proxies: Proc[];
  startups: Startup[];
  /** Access-log files written by the proxies (for their size). */
  accessLogs: string[];
}

export interface Topology {
  id: string;
  label: string;
  family: 'direct' | 'outrigger' | 'nginx' | 'baseline';
  /** The nginx topology doing the same job, for ratios. */
  nginxPeer?: string;
  needsNginx?: boolean;
  /** Not a topology of the main table: only the access-log A/B runs it. */
  abOnly?: boolean;
  start(env: BenchEnv, cell: CellOptions): Promise<RunningTopology>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function startOutrigger(env: BenchEnv, cell: CellOptions, sidecar: Omit<OutriggerSidecar, 'accessLogFile'>, accessLog: boolean): Promise<{ proc: Proc; port: number; startup: Startup; accessLog: string | null }> {
  const config = join(cell.dir, `${sidecar.name}.yaml`);
  const accessLogFile = accessLog ? join(cell.dir, `${sidecar.name}.access.log`) : null;
  writeFileSync(config, renderOutrigger({ ...sidecar, accessLogFile }));
  const t0 = performance.now();
  const cpu = cell.cpuOf?.(sidecar.name) ?? env.proxyCpu;
  const flags = [...env.proxyNodeFlags, ...(cell.nodeFlags?.(sidecar.name) ?? [])];
  const proc = env.procs.startPinned(sidecar.name, cpu, env.node, [...flags, cell.fromSource ? env.proxySourceMain : (cell.proxyMain ?? env.proxyMain), '--config', config], join(cell.dir, `${sidecar.name}.out`));
  const ready = await waitFor(
    `${sidecar.name} ready line`,
    () => {
      const line = readFileSync(proc.logFile, 'utf8')
        .split('\n')
        .find((l) => l.includes('"msg":"ready"'));
      return line ? (JSON.parse(line) as { listeners: Array<{ port: number }>; startup_ms: number }) : undefined;
    },
    20_000,
    proc,
  );
  const wallMs = performance.now() - t0;
  const port = ready.listeners[0]?.port;
  if (!port) throw new Error(`${sidecar.name}: no listener port in the ready line`);
  return { proc, port, startup: { proxy: sidecar.name, selfMs: ready.startup_ms, wallMs }, accessLog: accessLogFile };
}

async function startNginx(env: BenchEnv, cell: CellOptions, name: string, conf: (listenPort: number, accessLog: string) => string): Promise<{ proc: Proc; port: number; startup: Startup; accessLog: string }> {
  if (!env.nginx) throw new Error('nginx is not available');
  const port = await freePort();
  const accessLog = join(cell.dir, `${name}.access.log`);
  const file = join(cell.dir, `${name}.conf`);
  writeFileSync(file, conf(port, accessLog));
  const t0 = performance.now();
  const proc = env.procs.startPinned(name, env.proxyCpu, env.nginx.bin, ['-p', cell.dir, '-c', file, '-e', 'stderr'], join(cell.dir, `${name}.out`));
  await waitFor(`${name} listening on ${port}`, async () => ((await canConnect(port)) ? true : undefined), 10_000, proc);
  return { proc, port, startup: { proxy: name, selfMs: null, wallMs: performance.now() - t0 }, accessLog };
}

function outriggerHttpPair(id: string, label: string, accessLog: boolean, protocol: 'http' | 'tcp', nginxPeer: string): Topology {
  return {
    id,
    label,
    family: 'outrigger',
    // The pair without its log is measured in the access-log A/B, side by side with the logging one.
    abOnly: protocol === 'http' && !accessLog,
    nginxPeer,
    async start(env, cell) {
      const b = await startOutrigger(env, cell, { name: 'sidecar-b', tls: 'mutual', protocol, upstreamPort: env.appPort, upstreamTls: 'none', identity: env.certs.b }, accessLog);
      const a = await startOutrigger(env, cell, { name: 'sidecar-a', tls: 'none', protocol, upstreamPort: b.port, upstreamTls: 'mesh', identity: env.certs.a }, accessLog);
      return {
        url: `http://127.0.0.1:${a.port}`,
        proxies: [a.proc, b.proc],
        startups: [a.startup, b.startup],
        accessLogs: [a.accessLog, b.accessLog].filter((f): f is string => f !== null),
      };
    },
  };
}

function outriggerInbound(id: string, label: string, accessLog: boolean): Topology {
  return {
    id,
    label,
    family: 'outrigger',
    abOnly: !accessLog,
    nginxPeer: 'nginx-hop',
    async start(env, cell) {
      const b = await startOutrigger(env, cell, { name: 'sidecar-in', tls: 'none', protocol: 'http', upstreamPort: env.appPort, upstreamTls: 'none', identity: null }, accessLog);
      return { url: `http://127.0.0.1:${b.port}`, proxies: [b.proc], startups: [b.startup], accessLogs: b.accessLog ? [b.accessLog] : [] };
    },
  };
}

/** nginx as the pair (http or stream), or alone as one plaintext HTTP hop to the app (`hop`: the job of one inbound sidecar without TLS). */
function nginxTopology(id: string, label: string, layer: 'http' | 'stream' | 'hop'): Topology {
  return {
    id,
    label,
    family: 'nginx',
    needsNginx: true,
    async start(env, cell) {
      const streamModule = env.nginx?.streamModule ?? null;
      const common = (name: string, listenPort: number, upstreamPort: number, accessLogFile: string) => ({ dir: cell.dir, name, listenPort, upstreamPort, accessLogFile, streamModule });
      if (layer === 'hop') {
        const h = await startNginx(env, cell, 'nginx-hop', (port, log) => renderNginxHttp(common('nginx-hop', port, env.appPort, log), { role: 'hop' }));
        return { url: `http://127.0.0.1:${h.port}`, proxies: [h.proc], startups: [h.startup], accessLogs: [h.accessLog] };
      }
      const render = layer === 'http' ? renderNginxHttp : renderNginxStream;
      const b = await startNginx(env, cell, 'nginx-b', (port, log) => render(common('nginx-b', port, env.appPort, log), { role: 'inbound', server: env.certs.b }));
      const a = await startNginx(env, cell, 'nginx-a', (port, log) => render(common('nginx-a', port, b.port, log), { role: 'outbound', client: env.certs.a }));
      return { url: `http://127.0.0.1:${a.port}`, proxies: [a.proc, b.proc], startups: [a.startup, b.startup], accessLogs: [a.accessLog, b.accessLog] };
    },
  };
}

async function startBaseline(env: BenchEnv, cell: CellOptions, mode: 'node' | 'undici'): Promise<RunningTopology> {
  const name = `baseline-${mode}`;
  const t0 = performance.now();
  const proc = env.procs.startPinned(name, env.proxyCpu, env.node, [join(import.meta.dirname, 'baseline-proxy.ts'), mode, String(env.appPort)], join(cell.dir, `${name}.out`));
  const port = await waitFor(`${name} ready`, () => /"port":(\d+)/.exec(readFileSync(proc.logFile, 'utf8'))?.[1], 10_000, proc);
  return { url: `http://127.0.0.1:${port}`, proxies: [proc], startups: [{ proxy: name, selfMs: null, wallMs: performance.now() - t0 }], accessLogs: [] };
}

/**
 * A reference pair: `script` started twice, its inbound half towards the app first, then its
 * outbound half towards the inbound one; each takes MODE UPSTREAM_PORT CERT KEY CA.
 * bench/baseline-proxy.ts undici-in/out (the HTTP pair) and bench/baseline-pipe.ts in/out (L4).
 */
async function startReferencePair(env: BenchEnv, cell: CellOptions, script: string, inbound: string, outbound: string): Promise<RunningTopology> {
  const half = async (mode: string, upstreamPort: number, certs: CertPaths) => {
    const name = `baseline-${script.replace(/^baseline-|\.ts$/g, '')}-${mode}`;
    const t0 = performance.now();
    const proc = env.procs.startPinned(name, env.proxyCpu, env.node, [join(import.meta.dirname, script), mode, String(upstreamPort), certs.cert, certs.key, certs.ca], join(cell.dir, `${name}.out`));
    const port = await waitFor(`${name} ready`, () => /"port":(\d+)/.exec(readFileSync(proc.logFile, 'utf8'))?.[1], 10_000, proc);
    return { proc, port: Number(port), startup: { proxy: name, selfMs: null, wallMs: performance.now() - t0 } };
  };
  const b = await half(inbound, env.appPort, env.certs.b);
  const a = await half(outbound, b.port, env.certs.a);
  return { url: `http://127.0.0.1:${a.port}`, proxies: [a.proc, b.proc], startups: [a.startup, b.startup], accessLogs: [] };
}

export const TOPOLOGIES: Topology[] = [
  {
    id: 'direct',
    label: 'direct: client -> app',
    family: 'direct',
    start: async (env) => ({ url: `http://127.0.0.1:${env.appPort}`, proxies: [], startups: [], accessLogs: [] }),
  },
  outriggerHttpPair('or-http', 'Outrigger pair, HTTP, access log to file', true, 'http', 'nginx-http'),
  outriggerHttpPair('or-http-nolog', 'Outrigger pair, HTTP, access log off', false, 'http', 'nginx-http'),
  outriggerHttpPair('or-tcp', 'Outrigger pair, opaque TCP, access log to file', true, 'tcp', 'nginx-stream'),
  outriggerInbound('or-inbound', 'Outrigger inbound alone (plaintext -> app, HTTP), access log to file', true),
  outriggerInbound('or-inbound-nolog', 'Outrigger inbound alone, access log off', false),
  {
    id: 'base-node',
    label: 'reference: bare Node proxy (http.request + pipe, keep-alive pool), plaintext, no log',
    family: 'baseline',
    start: (env, cell) => startBaseline(env, cell, 'node'),
  },
  {
    id: 'base-undici',
    label: "reference: bare undici pool (the library Outrigger's HTTP path used before its own pool), plaintext, no log",
    family: 'baseline',
    start: (env, cell) => startBaseline(env, cell, 'undici'),
  },
  {
    id: 'base-http-pair',
    label: "reference: bare Node HTTP pair (node's server + undici's pool in each half, mTLS 1.3 keep-alive pool between), no log",
    family: 'baseline',
    nginxPeer: 'nginx-http',
    start: (env, cell) => startReferencePair(env, cell, 'baseline-proxy.ts', 'undici-in', 'undici-out'),
  },
  {
    id: 'base-pipe',
    label: 'reference: plain Node net/tls pipe pair (L4, mTLS 1.3 between, socket.pipe), no log',
    family: 'baseline',
    nginxPeer: 'nginx-stream',
    start: (env, cell) => startReferencePair(env, cell, 'baseline-pipe.ts', 'in', 'out'),
  },
  nginxTopology('nginx-http', 'nginx pair, HTTP (keepalive upstream, mTLS 1.3 between), access log to file', 'http'),
  nginxTopology('nginx-stream', 'nginx pair, stream L4 (mTLS 1.3 between), access log to file', 'stream'),
  nginxTopology('nginx-hop', 'nginx alone (plaintext -> app, HTTP, keepalive upstream), access log to file', 'hop'),
];
