// Reference for the opaque (L4) pair: the plain Node net/tls pipe pair of issue 11's table, to tell
// the cost of Node's sockets and TLS from the cost of Outrigger's opaque path. `out` takes plaintext
// and opens mTLS to the other half (a new TLS connection per client connection, no session
// resumption); `in` terminates mTLS, verifying the client's certificate, and opens plaintext to
// the app. `socket.pipe` both ways; no detection, records, metrics or log. On 127.0.0.1.
// Usage: baseline-pipe.ts out|in UPSTREAM_PORT CERT KEY CA
import { readFileSync } from 'node:fs';
import { connect as connectTcp, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as connectTls, createServer as createTlsServer } from 'node:tls';

const [half, upstreamPort, certFile, keyFile, caFile] = process.argv.slice(2);
if ((half !== 'out' && half !== 'in') || !upstreamPort || !certFile || !keyFile || !caFile) {
  throw new Error('usage: baseline-pipe.ts out|in UPSTREAM_PORT CERT KEY CA');
}
// The TLS settings of Outrigger's mesh by default: both ends allow 1.2 and agree on 1.3, classic
// X25519 first, client certificates verified against the CA.
const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile), ca: readFileSync(caFile), minVersion: 'TLSv1.2' as const, ecdhCurve: 'X25519:P-256' };
const target = { host: '127.0.0.1', port: Number(upstreamPort) };

function splice(client: Socket, upstream: Socket): void {
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.pipe(upstream).pipe(client);
}

const server: Server =
  half === 'out'
    ? createTcpServer((client) => splice(client, connectTls({ ...tls, ...target })))
    : createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: true }, (client) => splice(client, connectTcp(target)));
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ msg: 'ready', port: (server.address() as AddressInfo).port })}\n`));
process.once('SIGTERM', () => process.exit(0));
process.once('SIGINT', () => process.exit(0));
