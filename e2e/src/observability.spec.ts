// What users do with the sidecar's telemetry, with the real tools: a real Prometheus scrapes the
// proxy (and the app's own metrics merged into the same scrape), PromQL counts the requests this
// test sent; the live dashboard renders in headless Chromium and shows that count.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, run, start, waitFor, type Started } from '@outrigger/testing';

const root = resolve(import.meta.dirname, '..', '..');
const PROXY = join(root, 'apps', 'proxy', 'src', 'main.ts');
const OUTPUT = join(root, 'dist', 'test-output');
const REQUESTS = 25;
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

describe('observability with real tools', () => {
  let dir: string;
  let proxy: Started;
  let prometheus: Started | undefined;
  const ports = { admin: 0, web: 0, prometheus: 0 };
  const app = createServer((req, res) => {
    if (req.url === '/metrics') return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('# HELP legacy_app_orders_total Orders taken.\n# TYPE legacy_app_orders_total counter\nlegacy_app_orders_total 42\n');
    res.end('ok');
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outrigger-obs-'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const appPort = (app.address() as AddressInfo).port;
    ports.prometheus = await freePort();
    writeFileSync(join(dir, 'proxy.yaml'), `admin: { address: 127.0.0.1, port: 0 }
listeners:
  - { name: web, address: 127.0.0.1, port: 0, tls: none, upstream: "127.0.0.1:${appPort}" }
metrics: { app: { url: "http://127.0.0.1:${appPort}/metrics" } }
accessLog: { stdout: false }
`);
    proxy = start(process.execPath, [PROXY, '--config', join(dir, 'proxy.yaml')]);
    const ready = JSON.parse(await proxy.waitForLine(/"msg":"ready"/)) as { listeners: Array<{ port: number }>; admin: { port: number } };
    ports.admin = ready.admin.port;
    ports.web = ready.listeners[0]?.port ?? 0;
    for (let i = 0; i < REQUESTS; i++) {
      const r = await run('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${ports.web}/order/${i}`]);
      assert.equal(r.stdout, 'ok');
    }
  });

  after(async () => {
    await prometheus?.stop();
    await proxy?.stop();
    app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('one scrape of /metrics returns both the app\'s series and Outrigger\'s', async () => {
    const text = await (await fetch(`http://127.0.0.1:${ports.admin}/metrics`)).text();
    assert.match(text, /^legacy_app_orders_total 42$/m);
    assert.match(text, /^outrigger_requests_total\{direction="inbound",status_code="200"[^}]*\} 25$/m);
  });

  test(`a real Prometheus scrapes the proxy; PromQL says ${REQUESTS} requests`, async () => {
    writeFileSync(join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: outrigger
    static_configs: [{ targets: ["127.0.0.1:${ports.admin}"] }]
`);
    prometheus = start('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${ports.prometheus}`, '--log.level=warn']);
    const query = async (q: string) => {
      const res = await fetch(`http://127.0.0.1:${ports.prometheus}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result.map((r) => Number(r.value[1]));
    };
    const total = await waitFor(async () => {
      const [value] = await query('sum(outrigger_requests_total{direction="inbound",status_code="200"})');
      return value === REQUESTS ? value : undefined;
    }, 'Prometheus to have scraped the request count', 30_000, 500);
    assert.equal(total, REQUESTS);
    assert.deepEqual(await query('legacy_app_orders_total{job="outrigger"}'), [42], 'the app\'s series come with the same scrape');
    assert.deepEqual(await query('up{job="outrigger"}'), [1]);
  });

  test('the dashboard renders in headless Chromium and shows the request count', { skip: chromium ? false : 'chromium is not installed (.ci/run installs it)' }, async () => {
    mkdirSync(OUTPUT, { recursive: true });
    const screenshot = join(OUTPUT, 'dashboard.png');
    const profile = join(dir, 'chromium-profile');
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=4000', '--window-size=1280,800'];
    const url = `http://127.0.0.1:${ports.admin}/`;
    const dom = await run(chromium as string, [...flags, '--dump-dom', url], { timeoutMs: 60_000 });
    assert.equal(dom.code, 0, dom.stderr);
    const count = /<b id="requests">(\d+)<\/b>/.exec(dom.stdout)?.[1];
    assert.equal(Number(count), REQUESTS, 'the requests card shows the count');
    assert.match(dom.stdout, /\/order\/24/, 'the recent requests table lists the last request');
    const shot = await run(chromium as string, [...flags, `--screenshot=${screenshot}`, url], { timeoutMs: 60_000 });
    assert.equal(shot.code, 0, shot.stderr);
    assert.ok(existsSync(screenshot), `a screenshot at ${screenshot}`);
  });
});
