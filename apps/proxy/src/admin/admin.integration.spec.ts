// The admin API of a real proxy process: /config with secrets redacted, /certs, PUT /log-level,
// the /tap event stream, /stats, and POST /shutdown draining the process to a clean exit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run, start, waitFor, writeCertFixture, type Started } from '@outrigger/testing';

const MAIN = resolve(import.meta.dirname, '..', 'main.ts');
let dir: string;
let proxy: Started;
let admin = '';
let web = 0;
const app = createServer((_req, res) => res.end('ok'));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outrigger-admin-'));
  const certs = writeCertFixture(join(dir, 'certs'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  writeFileSync(join(dir, 'proxy.yaml'), `admin: { address: 127.0.0.1, port: 0 }
identity: { certFile: ${certs.server.cert}, keyFile: ${certs.server.key}, trustBundleFile: ${certs.caCert} }
listeners:
  - { name: web, address: 127.0.0.1, port: 0, tls: none, upstream: "127.0.0.1:${(app.address() as AddressInfo).port}" }
accessLog: { stdout: false }
`);
  const appPort = (app.address() as AddressInfo).port;
  const probes = { '/app-health/app/readiness': { httpGet: { path: '/ready', port: appPort }, timeoutSeconds: 1 }, '/app-health/app/liveness': { tcpSocket: { port: 1 } } };
  proxy = start(process.execPath, [MAIN, '--config', join(dir, 'proxy.yaml')], { env: { ...process.env, OUTRIGGER_APP_PROBES: JSON.stringify(probes) } });
  const ready = JSON.parse(await proxy.waitForLine(/"msg":"ready"/)) as { listeners: Array<{ port: number }>; admin: { port: number } };
  admin = `http://127.0.0.1:${ready.admin.port}`;
  web = ready.listeners[0]?.port ?? 0;
});

after(async () => {
  await proxy?.stop();
  app.close();
  rmSync(dir, { recursive: true, force: true });
});

test('/config shows the effective config with defaults', async () => {
  const config = (await (await fetch(`${admin}/config`)).json()) as { timeouts: { detect: number }; identity: { source: string } };
  assert.equal(config.timeouts.detect, 3000);
  assert.equal(config.identity.source, 'files');
});

test('/certs names the identity, serial and validity', async () => {
  const certs = (await (await fetch(`${admin}/certs`)).json()) as { identity: string; certificate: { serialNumber: string; dnsNames: string[]; ipAddresses: string[] }; trustBundle: unknown[] };
  assert.equal(certs.identity, 'spiffe://cluster.local/ns/demo/sa/legacy-app');
  assert.deepEqual([certs.certificate.dnsNames, certs.certificate.ipAddresses], [['localhost'], ['127.0.0.1']], 'every SAN, the IP addresses too');
  assert.match(certs.certificate.serialNumber, /^[0-9A-F]+$/i);
  assert.equal(certs.trustBundle.length, 1);
});

test('an unknown path answers 404 with every path the server has, a known one with the wrong method 405', async () => {
  const notFound = await fetch(`${admin}/nope`);
  assert.equal(notFound.status, 404);
  const list = await notFound.text();
  for (const path of ['/metrics', '/ready', '/live', '/stats', '/config', '/certs', '/log-level', '/tap', '/shutdown', '/app-health/<container>/<probe>']) assert.ok(list.includes(path), `${path} in ${list}`);
  assert.equal((await fetch(`${admin}/metrics`, { method: 'DELETE' })).status, 405);
});

test('PUT /log-level changes the level; an unknown level is refused with the list', async () => {
  const ok = await fetch(`${admin}/log-level`, { method: 'PUT', body: 'debug' });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'log level info -> debug\n');
  const bad = await fetch(`${admin}/log-level`, { method: 'PUT', body: 'verbose' });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /unknown level "verbose": one of trace, debug/);
  const line = await waitFor(() => proxy.stderr().split('\n').find((l) => l.includes('"msg":"log level changed"')), 'the change logged');
  // The line keeps its own level: the old and new levels are fields of their own.
  assert.deepEqual(JSON.parse(line) as Record<string, unknown>, { ...(JSON.parse(line) as Record<string, unknown>), level: 'info', from: 'info', to: 'debug' });
  // A change to a level that hides info is logged before it takes effect.
  assert.equal((await fetch(`${admin}/log-level`, { method: 'PUT', body: 'warn' })).status, 200);
  await waitFor(() => proxy.stderr().includes('"from":"debug","to":"warn"'), 'the change to warn logged');
  assert.equal((await fetch(`${admin}/log-level`, { method: 'PUT', body: 'info' })).status, 200);
  await waitFor(() => proxy.stderr().includes('"from":"warn","to":"info"'), 'the change back to info logged');
});

test('GET /tap streams one event per request as it ends', async () => {
  const events: string[] = [];
  let comment = false;
  const req = request(`${admin}/tap`, (res) =>
    res.on('data', (d: Buffer) => {
      const lines = d.toString().split('\n');
      comment ||= lines.some((l) => l.startsWith(': outrigger tap'));
      events.push(...lines.filter((l) => l.startsWith('data: ')));
    }),
  );
  req.end();
  await waitFor(() => comment, 'the stream to open'); // subscribed before the request is made
  await run('curl', ['-sS', `http://127.0.0.1:${web}/tapped`]);
  const event = await waitFor(() => events.find((e) => e.includes('"/tapped"')), 'a tap event');
  assert.equal((JSON.parse(event.slice(6)) as { response_code: number }).response_code, 200);
  req.destroy();
});

test('/stats counts the requests for the dashboard', async () => {
  const stats = (await (await fetch(`${admin}/stats`)).json()) as { requests: number; recent: unknown[] };
  assert.ok(stats.requests >= 1);
  assert.ok(stats.recent.length >= 1);
});

test('/app-health runs the app\'s rewritten kubelet probes', async () => {
  assert.equal((await fetch(`${admin}/app-health/app/readiness`)).status, 200);
  assert.equal((await fetch(`${admin}/app-health/app/liveness`)).status, 503, 'nothing listens on port 1');
  const unknown = await fetch(`${admin}/app-health/other/readiness`);
  assert.equal(unknown.status, 404);
  assert.match(await unknown.text(), /\/app-health\/app\/readiness/);
});

test('unknown paths 404 with the list; wrong methods 405', async () => {
  const missing = await fetch(`${admin}/nope`);
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /\/metrics/);
  assert.equal((await fetch(`${admin}/metrics`, { method: 'DELETE' })).status, 405);
});

test('POST /shutdown fails readiness, drains, and the process exits 0', async () => {
  const res = await fetch(`${admin}/shutdown`, { method: 'POST' });
  assert.equal(res.status, 202);
  const exit = await new Promise<{ code: number | null }>((r) => proxy.child.once('exit', (code) => r({ code })));
  assert.equal(exit.code, 0);
});
