// The benchmark's app, in its own process on 127.0.0.1: `GET /` answers 1 KiB (the request-rate
// tests), `GET /bulk?bytes=N` streams N bytes from one reused buffer (the MB/s test).
// Prints {"msg":"ready","port":N} once listening.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = Buffer.alloc(1024, 'x');
const CHUNK = Buffer.alloc(256 * 1024, 'y');
const MAX_BULK = 8 * 1024 ** 3;

const server = createServer((req, res) => {
  if (req.url?.startsWith('/bulk')) {
    const bytes = Math.min(MAX_BULK, Number(new URL(req.url, 'http://x').searchParams.get('bytes') ?? 0) || 0);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes) });
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    res.once('close', () => (left = 0));
    return pump();
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(BODY.length) });
  res.end(BODY);
});
// Longer than any proxy's pool idle time, so no pooled connection is closed under a proxy mid-run.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'ready', port: (server.address() as AddressInfo).port })}\n`);
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
