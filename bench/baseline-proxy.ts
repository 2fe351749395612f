// Reference proxies, to tell the cost of Node itself from the cost of Outrigger: `node` forwards
// with http.request and pipe over a keep-alive pool and does nothing else; `undici` is what
// Outrigger's HTTP path was built on until it got a pool of its own (node's http server in,
// undici's Pool and dispatch API out), with nothing of Outrigger's around it. Both plaintext, on
// 127.0.0.1.
// Usage: baseline-proxy.ts node|undici UPSTREAM_PORT
import { Agent, createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const [mode, upstreamPort] = process.argv.slice(2);
if ((mode !== 'node' && mode !== 'undici') || !upstreamPort) throw new Error('usage: baseline-proxy.ts node|undici UPSTREAM_PORT');
const agent = new Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' });
const pool = mode === 'undici' ? new Pool(`http://127.0.0.1:${upstreamPort}`, { pipelining: 1, allowH2: false }) : null;
// The client's `Connection: close` is its own hop's; forwarded, it would close the pooled one.
// Likewise the app's `Connection: keep-alive` describes its hop; node's server sets the client's.
const dropHopHeaders = (headers: IncomingHttpHeaders) => {
  delete headers.connection;
  delete headers['keep-alive'];
  return headers;
};

const server = createServer((req, res) => {
  if (pool) {
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    const headers = dropHopHeaders({ ...req.headers });
    delete headers['transfer-encoding'];
    pool.dispatch(
      { path: req.url ?? '/', method: req.method ?? 'GET', headers: headers as Record<string, string>, body: hasBody ? req : null },
      {
        onRequestStart: () => {},
        onResponseStart: (_, status, answer) => void res.writeHead(status, dropHopHeaders(answer) as OutgoingHttpHeaders),
        onResponseData: (controller, chunk) => {
          if (!res.write(chunk)) {
            controller.pause();
            res.once('drain', () => controller.resume());
          }
        },
        onResponseEnd: () => void res.end(),
        onResponseError: () => void res.destroy(),
      },
    );
    return;
  }
  const upstream = request({ host: '127.0.0.1', port: Number(upstreamPort), method: req.method, path: req.url, headers: { ...req.headers, connection: 'keep-alive' }, agent }, (answer) => {
    dropHopHeaders(answer.headers);
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.once('error', () => res.destroy());
  req.pipe(upstream);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ msg: 'ready', port: (server.address() as AddressInfo).port })}\n`));
const stop = () => {
  server.closeAllConnections();
  agent.destroy();
  void pool?.destroy();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
