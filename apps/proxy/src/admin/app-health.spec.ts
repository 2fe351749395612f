import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { parseProbeTable, runProbe } from './app-health.ts';

test('the probe table is parsed from the injector\'s JSON; a bad value serves none and says why', () => {
  const ok = parseProbeTable(JSON.stringify({ '/app-health/app/readiness': { httpGet: { path: '/ready', port: 8080 } } }));
  assert.equal(ok.problem, null);
  assert.equal(ok.table.size, 1);
  assert.match(parseProbeTable('{').problem ?? '', /OUTRIGGER_APP_PROBES is not usable/);
  assert.match(parseProbeTable(JSON.stringify({ '/elsewhere': { tcpSocket: { port: 1 } } })).problem ?? '', /not under \/app-health/);
  assert.equal(parseProbeTable(undefined).table.size, 0);
});

test('httpGet: 2xx/3xx -> 200, 4xx/5xx passed on, unreachable -> 503; headers are sent', async () => {
  let seen = '';
  const app = createServer((req, res) => {
    seen = String(req.headers['x-probe']);
    res.statusCode = req.url === '/ok' ? 204 : req.url === '/moved' ? 302 : 500;
    res.end();
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const port = (app.address() as AddressInfo).port;
  try {
    assert.equal(await runProbe({ httpGet: { path: '/ok', port, httpHeaders: [{ name: 'x-probe', value: 'yes' }] } }, '127.0.0.1'), 200);
    assert.equal(seen, 'yes');
    assert.equal(await runProbe({ httpGet: { path: '/moved', port } }, '127.0.0.1'), 200);
    assert.equal(await runProbe({ httpGet: { path: '/broken', port } }, '127.0.0.1'), 500);
  } finally {
    app.close();
  }
  assert.equal(await runProbe({ httpGet: { path: '/', port } }, '127.0.0.1'), 503);
});

test('tcpSocket: connect -> 200, refused -> 503', async () => {
  const server = createTcpServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  assert.equal(await runProbe({ tcpSocket: { port } }, '127.0.0.1'), 200);
  server.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await runProbe({ tcpSocket: { port } }, '127.0.0.1'), 503);
});
