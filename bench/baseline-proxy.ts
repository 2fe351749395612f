// Reference proxies, to tell the cost of Node itself from the cost of Outrigger: `node` forwards
// with http.request and pipe over a keep-alive pool and does nothing else; `undici` is what
// Outrigger's HTTP path was built on until it got a pool of its own (node's http server in,
// undici's Pool and dispatch API out), with nothing of Outrigger's around it. Both plaintext, on
// 127.0.0.1. `undici-out` and `undici-in` are two such proxies made a pair like Outrigger's HTTP
// pair: plaintext in, then a keep-alive pool of mTLS 1.3 connections to the other half (node's
// https server, client certificates verified), then plaintext to the app.
// Usage: baseline-proxy.ts node|undici UPSTREAM_PORT
//        baseline-proxy.ts undici-out|undici-in UPSTREAM_PORT CERT KEY CA
import { readFileSync } from 'node:fs';
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const [mode, upstreamPort, certFile, keyFile, caFile] = process.argv.slice(2);
const paired = mode === 'undici-out' || mode === 'undici-in';
if ((mode !== 'node' && mode !== 'undici' && !paired) || !upstreamPort || (paired && !caFile)) {
  throw new Error('usage: baseline-proxy.ts node|undici UPSTREAM_PORT, or undici-out|undici-in UPSTREAM_PORT CERT KEY CA');
}
// The TLS settings of Outrigger's mesh by default: both ends allow 1.2 and agree on 1.3, classic
// X25519 first, client certificates verified against the CA.
const tls = paired ? { cert: readFileSync(certFile!), key: readFileSync(keyFile!), ca: readFileSync(caFile!), minVersion: 'TLSv1.2' as const, ecdhCurve: 'X25519:P-256' } : null;
const agent = new Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' });
const pool =
  mode === 'node'
    ? null
    : mode === 'undici-out'
      ? new Pool(`https://127.0.0.1:${upstreamPort}`, { pipelining: 1, allowH2: false, connect: { ...tls } })
      : new Pool(`http://127.0.0.1:${upstreamPort}`, { pipelining: 1, allowH2: false });
// The client's `Connection: close` is its own hop's; forwarded, it would close the pooled one.
// Likewise the app's `Connection: keep-alive` describes its hop; node's server sets the client's.
const dropHopHeaders = (headers: IncomingHttpHeaders) => {
  delete headers.connection;
  delete headers['keep-alive'];
  return headers;
};

const handler = (req: IncomingMessage, res: ServerResponse) => {
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
};
const server = mode === 'undici-in' ? createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: true }, handler) : createServer(handler);
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
