// The demo's legacy service: plain HTTP on 127.0.0.1 only, unaware of TLS, identities or metrics.
// It echoes what reached it so the demo shows what the sidecar added (x-forwarded-*, x-request-id).
// Like many legacy apps it reads a config file (LEGACY_APP_CONFIG) at start and again on SIGHUP.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parse } from 'yaml';

const port = Number(process.env.LEGACY_APP_PORT ?? 8080);
const host = process.env.LEGACY_APP_HOST ?? '127.0.0.1';
const configFile = process.env.LEGACY_APP_CONFIG;
const DEFAULT_GREETING = 'hello from the legacy app';

/** The greeting from the config file (YAML or JSON, which YAML reads too), or why it cannot be used. */
function readGreeting(file: string): { greeting: string } | { problem: string } {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return { problem: (err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0] ?? 'unreadable' };
  }
  const greeting = (data as { greeting?: unknown } | null)?.greeting ?? DEFAULT_GREETING;
  return typeof greeting === 'string' ? { greeting } : { problem: 'greeting is not a string' };
}

let greeting = DEFAULT_GREETING;
if (configFile) {
  const loaded = readGreeting(configFile);
  if ('problem' in loaded) {
    process.stderr.write(`legacy-app: cannot use config ${configFile}: ${loaded.problem}\n`);
    process.exit(1);
  }
  greeting = loaded.greeting;
}

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  const seen = {
    method: req.method,
    path: req.url,
    'x-forwarded-for': req.headers['x-forwarded-for'] ?? null,
    'x-forwarded-proto': req.headers['x-forwarded-proto'] ?? null,
    'x-request-id': req.headers['x-request-id'] ?? null,
  };
  const body = `${greeting}\n${JSON.stringify(seen)}\n`;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
});

server.on('error', (err: NodeJS.ErrnoException) => {
  process.stderr.write(`legacy-app: cannot listen on ${host}:${port}: ${err.code ?? err.message}\n`);
  process.exit(1);
});
server.listen(port, host, () => {
  const bound = (server.address() as { port: number }).port; // LEGACY_APP_PORT=0: the kernel's pick
  const config = configFile ? `, config ${configFile} (greeting: ${JSON.stringify(greeting)})` : '';
  process.stderr.write(`legacy-app: listening on http://${host}:${bound} (plain HTTP, localhost only${config})\n`);
});
// SIGHUP: re-read the config, as nginx or sshd do. A bad file keeps the greeting in use.
process.on('SIGHUP', () => {
  if (!configFile) return void process.stderr.write('legacy-app: SIGHUP: no LEGACY_APP_CONFIG, nothing to reload\n');
  const loaded = readGreeting(configFile);
  if ('problem' in loaded) return void process.stderr.write(`legacy-app: SIGHUP: config ${configFile} not reloaded (${loaded.problem}); keeping the current one\n`);
  greeting = loaded.greeting;
  process.stderr.write(`legacy-app: SIGHUP: reloaded config ${configFile} (greeting: ${JSON.stringify(greeting)})\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
