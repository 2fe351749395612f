// The demo's legacy service: plain HTTP on 127.0.0.1 only, unaware of TLS, identities or metrics.
// It echoes what reached it so the demo shows what the sidecar added (x-forwarded-*, x-request-id).
import { createServer } from 'node:http';

const port = Number(process.env.LEGACY_APP_PORT ?? 8080);
const host = process.env.LEGACY_APP_HOST ?? '127.0.0.1';

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
  const body = `hello from the legacy app\n${JSON.stringify(seen)}\n`;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
});

server.on('error', (err: NodeJS.ErrnoException) => {
  process.stderr.write(`legacy-app: cannot listen on ${host}:${port}: ${err.code ?? err.message}\n`);
  process.exit(1);
});
server.listen(port, host, () => process.stderr.write(`legacy-app: listening on http://${host}:${port} (plain HTTP, localhost only)\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
