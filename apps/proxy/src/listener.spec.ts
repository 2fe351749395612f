// The transparent pipeline without iptables: a fake OrigDstResolver stands in for the kernel, so
// the stages (resolve, loop guard, detect, route, forward) run on loopback with real sockets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { createFakeResolver, type OrigDstResolver } from '@outrigger/original-dst';
import { startListener, type ListenerPlan, type RunningListener } from './listener.ts';
import type { Observer } from './observe.ts';
import type { ConnectionRecord, RequestRecord } from './record.ts';

const timeouts = { tlsHandshake: 1000, detect: 200, upstreamConnect: 1000, idle: 10_000, drain: 1000, identityPoll: 30_000, upstreamResponse: 5000, requestHeaders: 5000 };
const limits = { maxRequestHeaderBytes: 16_384, maxConnectionsPerListener: 1000 };
const closed: ConnectionRecord[] = [];
const requests: RequestRecord[] = [];
const observer: Observer = { connectionRouted: () => {}, connectionDropped: () => {}, connectionClosed: (r) => void closed.push(r), requestEnded: (r) => void requests.push(r) };

const app = createHttpServer((req, res) => res.end(`app saw ${req.url} host=${req.headers.host}`));
const echo = createServer((s) => s.once('data', (d) => s.end(Buffer.concat([Buffer.from('echo:'), d]))).on('error', () => {}));
let appPort = 0;
let echoPort = 0;
let listener: RunningListener;
let resolverTable: Map<number, { address: string; port: number; family: 4 }>;

function plan(resolver: OrigDstResolver): ListenerPlan {
  return {
    name: 'outbound',
    direction: 'outbound',
    address: '127.0.0.1',
    port: 0,
    tls: null,
    meshTls: null,
    policyFor: () => ({ mode: 'permissive', allow: undefined, edgeTls: false }),
    origDst: { resolver, guard: { ownPorts: new Set([15001, 15006, 15020]), isLocalAddress: (a) => a.startsWith('127.') } },
    protocolFor: (port) => (port === echoPort ? 'tcp' : 'detect'),
    upstreamFor: (dst) => ({ host: dst?.address ?? '', port: dst?.port ?? 0 }),
  };
}

before(async () => {
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  appPort = (app.address() as AddressInfo).port;
  echoPort = (echo.address() as AddressInfo).port;
  resolverTable = new Map();
  // The fake keys on the listener's local port; each test sets what "the kernel" would answer.
  listener = await startListener(plan(createFakeResolver(resolverTable)), () => ({ timeouts, limits }), observer, () => performance.now());
});

after(async () => {
  await listener.stopAccepting();
  listener.destroyAll();
  app.close();
  echo.close();
});

function exchange(payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(listener.port, '127.0.0.1', () => socket.write(payload));
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
  });
}

test('HTTP to the original destination goes through the HTTP path with the Host kept', async () => {
  resolverTable.set(listener.port, { address: '127.0.0.1', port: appPort, family: 4 });
  const out = await exchange(`GET /x HTTP/1.1\r\nHost: svc.example:8080\r\nConnection: close\r\n\r\n`);
  assert.match(out, /^HTTP\/1\.1 200/);
  assert.match(out, /app saw \/x host=svc\.example:8080/);
  const request = requests.at(-1);
  assert.equal(request?.authority, 'svc.example:8080');
  assert.equal(request?.connection.downstreamLocal, `127.0.0.1:${appPort}`);
});

test('an opaque port is piped as TCP without sniffing', async () => {
  resolverTable.set(listener.port, { address: '127.0.0.1', port: echoPort, family: 4 });
  assert.equal(await exchange('hello'), 'echo:hello');
});

test('an original destination on our own port and a local address is a loop: closed and recorded', async () => {
  resolverTable.set(listener.port, { address: '127.0.0.1', port: 15006, family: 4 });
  const before = closed.length;
  assert.equal(await exchange('GET / HTTP/1.1\r\n\r\n'), '');
  await new Promise((r) => setTimeout(r, 50));
  const record = closed.slice(before).find((r) => r.error === 'loop_detected');
  assert.ok(record, 'a loop_detected record');
  assert.equal(record.origPort, 15006);
});

test('a connection that was not redirected (dialled the proxy port) is a loop', async () => {
  resolverTable.clear();
  const before = closed.length;
  assert.equal(await exchange('x'), '');
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(closed.slice(before).some((r) => r.error === 'loop_detected'));
});
