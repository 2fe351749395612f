// `npm start`: the local demo. Starts the legacy app on 127.0.0.1, makes a dev CA and certificates
// under .outrigger-dev/ with `outrigger-injector ca`, starts outrigger-proxy in front of the app,
// and prints how to call it. Ctrl-C stops everything it started.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const dev = resolve(process.env.OUTRIGGER_DEMO_DIR ?? join(root, '.outrigger-dev'));
const appPort = Number(process.env.OUTRIGGER_DEMO_APP_PORT ?? 8080);
const mtlsPort = Number(process.env.OUTRIGGER_DEMO_MTLS_PORT ?? 8443);
const edgePort = Number(process.env.OUTRIGGER_DEMO_EDGE_PORT ?? 8444);
const adminPort = Number(process.env.OUTRIGGER_DEMO_ADMIN_PORT ?? 15020);
const injector = join(root, 'apps', 'injector', 'src', 'main.ts');
const children: ChildProcess[] = [];
// Paths as the user can type them from here: relative below the current folder, else absolute.
const rel = (p: string) => {
  const r = relative(process.cwd(), p) || '.';
  return r.startsWith('..') ? p : r;
};

function cli(args: string[]): void {
  const r = spawnSync(process.execPath, [injector, ...args], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`demo: outrigger-injector ${args.join(' ')} failed:\n${r.stderr}`);
    process.exit(1);
  }
}

function start(name: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const prefix = (stream: NodeJS.ReadableStream | null, tag: string) =>
    stream?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) process.stdout.write(`${tag} | ${line}\n`);
    });
  prefix(child.stdout, name === 'proxy' ? 'access-log' : name);
  prefix(child.stderr, name);
  child.once('exit', (code, signal) => {
    if (stopping) return;
    // Ctrl-C in a terminal signals the whole process group, so a child may stop before we do.
    const asked = code === 0 || signal === 'SIGINT' || signal === 'SIGTERM';
    if (!asked) process.stderr.write(`demo: ${name} exited (${signal ?? code}); stopping the demo\n`);
    stop(asked ? 0 : 1);
  });
  return child;
}

async function waitReady(url: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${deadlineMs} ms`);
}

let stopping = false;
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const child of alive) child.kill('SIGTERM');
  let left = alive.length;
  if (left === 0) process.exit(code);
  for (const child of alive) child.once('exit', () => --left === 0 && process.exit(code));
  setTimeout(() => {
    for (const child of alive) if (child.exitCode === null) child.kill('SIGKILL');
    process.exit(code);
  }, 5000).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

mkdirSync(dev, { recursive: true });
const ca = join(dev, 'ca');
cli(['ca', 'init', '--dir', ca, '--trust-domain', 'cluster.local', '--force']);
cli(['ca', 'issue', '--ca-dir', ca, '--out', join(dev, 'proxy'), '--namespace', 'demo', '--service-account', 'legacy-app', '--dns', 'localhost', '--ip', '127.0.0.1']);
cli(['ca', 'issue', '--ca-dir', ca, '--out', join(dev, 'client'), '--namespace', 'demo', '--service-account', 'curl']);
cli(['ca', 'init', '--dir', join(dev, 'other-ca'), '--trust-domain', 'other.example', '--force']);
cli(['ca', 'issue', '--ca-dir', join(dev, 'other-ca'), '--out', join(dev, 'other-client'), '--trust-domain', 'other.example', '--namespace', 'demo', '--service-account', 'curl']);

const accessLogFile = join(dev, 'access.log');
const configFile = join(dev, 'proxy.yaml');
writeFileSync(
  configFile,
  `# Written by the local demo (examples/src/local-demo.ts); see docs/reference/config.md
admin: { address: 127.0.0.1, port: ${adminPort} }
identity:
  certFile: proxy/tls.crt
  keyFile: proxy/tls.key
  trustBundleFile: proxy/ca.crt
listeners:
  - name: mtls
    address: 127.0.0.1
    port: ${mtlsPort}
    tls: mutual
    upstream: 127.0.0.1:${appPort}
  - name: edge
    address: 127.0.0.1
    port: ${edgePort}
    tls: server
    upstream: 127.0.0.1:${appPort}
accessLog:
  stdout: true
  file: access.log
`,
);

start('legacy-app', [join(root, 'examples', 'src', 'legacy-app.ts')], { LEGACY_APP_PORT: String(appPort) });
await waitReady(`http://127.0.0.1:${appPort}/healthz`, 10_000);
start('proxy', [join(root, 'apps', 'proxy', 'src', 'main.ts'), '--config', configFile]);
await waitReady(`http://127.0.0.1:${adminPort}/ready`, 10_000).catch((err: Error) => {
  process.stderr.write(`demo: ${err.message}\n`);
  stop(1);
});

const d = rel(dev);
process.stdout.write(`
Outrigger local demo is running: the legacy app listens on 127.0.0.1:${appPort} (plain HTTP),
outrigger-proxy serves it over TLS.

  mutual TLS (client certificate required):
    curl --cacert ${d}/client/ca.crt --cert ${d}/client/tls.crt --key ${d}/client/tls.key https://localhost:${mtlsPort}/
  without a client certificate (refused in the TLS handshake):
    curl --cacert ${d}/client/ca.crt https://localhost:${mtlsPort}/
  with a certificate from another CA (closed right after the TLS handshake: "Empty reply from server"):
    curl --cacert ${d}/client/ca.crt --cert ${d}/other-client/tls.crt --key ${d}/other-client/tls.key https://localhost:${mtlsPort}/
  server TLS only (HTTPS for any client, as an nginx sidecar would serve):
    curl --cacert ${d}/client/ca.crt https://localhost:${edgePort}/

  metrics:     curl http://127.0.0.1:${adminPort}/metrics
  readiness:   curl http://127.0.0.1:${adminPort}/ready
  access log:  ${rel(accessLogFile)} (also shown below as "access-log | ...")
  config:      ${rel(configFile)}

Press Ctrl-C to stop.
`);
