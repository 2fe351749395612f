// One test per limit of docs/reference/config.md against the real proxy process: the limit is
// enforced and the error is the documented one. (Header size, header timeout, upstream response
// timeout and detect timeout are in http-path.integration.spec.ts; the idle timeout in
// hostile.integration.spec.ts; the upstream connect timeout in e2e/src/limits.spec.ts, which needs
// a network namespace to drop SYNs.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { start, waitFor, writeCertFixture, type Started } from '@outrigger/testing';

const MAIN = resolve(import.meta.dirname, 'main.ts');
let dir: string;
let proxy: Started;
const ports: Record<string, number> = {};
let admin = '';
const BIG = 256 * 1024 * 1024;
// Streams 256 MiB as fast as the proxy takes it: the proxy must pass backpressure on, not buffer.
const app = createHttpServer((req, res) => {
  if (req.url !== '/big') return void res.end('ok');
  res.writeHead(200, { 'content-length': String(BIG) });
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  const pump = () => {
    while (sent < BIG) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outrigger-limits-'));
  const certs = writeCertFixture(join(dir, 'certs'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  writeFileSync(join(dir, 'proxy.yaml'), `admin: { address: 127.0.0.1, port: 0 }
identity: { certFile: ${certs.server.cert}, keyFile: ${certs.server.key}, trustBundleFile: ${certs.caCert} }
listeners:
  - { name: web, address: 127.0.0.1, port: 0, tls: none, protocol: http, upstream: "127.0.0.1:${(app.address() as AddressInfo).port}" }
  - { name: mtls, address: 127.0.0.1, port: 0, tls: mutual, upstream: "127.0.0.1:${(app.address() as AddressInfo).port}" }
accessLog: { stdout: false }
limits: { maxConnectionsPerListener: 20 }
timeouts: { tlsHandshake: 1s }
`);
  proxy = start(process.execPath, [MAIN, '--config', join(dir, 'proxy.yaml')]);
  const ready = JSON.parse(await proxy.waitForLine(/"msg":"ready"/)) as { listeners: Array<{ name: string; port: number }>; admin: { port: number } };
  for (const l of ready.listeners) ports[l.name] = l.port;
  admin = `http://127.0.0.1:${ready.admin.port}`;
});

after(async () => {
  await proxy?.stop();
  app.close();
  rmSync(dir, { recursive: true, force: true });
});

const metric = async (line: RegExp) => {
  const text = await (await fetch(`${admin}/metrics`)).text();
  return Number(text.split('\n').find((l) => line.test(l))?.split(' ').at(-1) ?? 0);
};
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proxy.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

test('limits.maxConnectionsPerListener: connections past it are closed unserved and counted (connection_limit)', async () => {
  const held: Socket[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((r) => held.push(connect(ports.web ?? 0, '127.0.0.1', () => r()).on('error', () => r())));
    }
    await waitFor(async () => (await metric(/^outrigger_tcp_open_connections\{direction="inbound".*\} /)) >= 20, 'twenty open');
    const extra = connect(ports.web ?? 0, '127.0.0.1');
    extra.on('error', () => {});
    await new Promise((r) => extra.once('close', r));
    assert.ok((await metric(/^outrigger_proxy_errors_total\{direction="inbound",error="connection_limit"\}/)) >= 1);
  } finally {
    for (const s of held) s.destroy();
  }
});

test('timeouts.tlsHandshake: a client that never finishes the handshake is closed and counted (reason timeout)', async () => {
  const socket = connect(ports.mtls ?? 0, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])); // a record header announcing 512 bytes that never come
  const closedAfter = await new Promise<number>((r) => {
    const t0 = Date.now();
    socket.once('close', () => r(Date.now() - t0));
  });
  assert.ok(closedAfter >= 900, `closed by the proxy after the 1 s timeout (${closedAfter} ms)`);
  await waitFor(async () => (await metric(/^outrigger_tls_handshake_errors_total\{direction="inbound",reason="timeout"\}/)) >= 1, 'the timeout counted');
});

test('per-connection buffering is bounded: a client that stops reading a 256 MiB response does not grow the proxy', async (t) => {
  const before = rssMb();
  let peak = before;
  let paused = before;
  let received = 0;
  await new Promise<void>((resolvePromise, reject) => {
    const socket = connect(ports.web ?? 0, '127.0.0.1', () => socket.write('GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    socket.on('error', reject);
    socket.pause(); // a client that does not read for a while: the kernel buffers fill, then the proxy's
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 100);
    setTimeout(() => {
      paused = Math.max(peak, rssMb()); // 2 s in which the app could have sent everything
      socket.on('data', (d: Buffer) => (received += d.length));
      socket.resume();
    }, 2000);
    socket.on('close', () => {
      clearInterval(sampler);
      resolvePromise();
    });
  });
  assert.ok(received > BIG, `the whole body arrived (${received} bytes)`);
  t.diagnostic(`RSS ${before.toFixed(0)} MB before, ${paused.toFixed(0)} MB while the client did not read, peak ${peak.toFixed(0)} MB while 256 MiB streamed`);
  // Without backpressure the proxy would hold what the app sent in those 2 s (up to 256 MiB).
  assert.ok(paused - before < 32, `RSS grew by ${(paused - before).toFixed(0)} MB while the client did not read (bound: 32 MB)`);
});
