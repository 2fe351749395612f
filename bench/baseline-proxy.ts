// Reference proxies, to tell the cost of Node itself from the cost of Outrigger: `node` forwards
// with http.request and pipe over a keep-alive pool and does nothing else; `http-proxy-3` is the
// library Outrigger's HTTP path is built on, with the same pool, and nothing of Outrigger's around
// it. Both plaintext, on 127.0.0.1. Usage: baseline-proxy.ts node|http-proxy-3 UPSTREAM_PORT
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxyServer } from 'http-proxy-3';

const [mode, upstreamPort] = process.argv.slice(2);
if ((mode !== 'node' && mode !== 'http-proxy-3') || !upstreamPort) throw new Error('usage: baseline-proxy.ts node|http-proxy-3 UPSTREAM_PORT');
const agent = new Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' });
const proxy = mode === 'http-proxy-3' ? createProxyServer({ target: `http://127.0.0.1:${upstreamPort}`, agent, xfwd: false }) : null;
proxy?.on('error', () => {});
// The client's `Connection: close` is its own hop's; forwarded, it would close the pooled one.
proxy?.on('proxyReq', (proxyReq) => proxyReq.removeHeader('connection'));
// Likewise the app's `Connection: keep-alive` describes its hop; node's server sets the client's.
const dropHopHeaders = (headers: Record<string, unknown>) => {
  delete headers.connection;
  delete headers['keep-alive'];
};
proxy?.on('proxyRes', (proxyRes) => dropHopHeaders(proxyRes.headers));

const server = createServer((req, res) => {
  if (proxy) return proxy.web(req, res, {}, () => res.destroy());
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
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
