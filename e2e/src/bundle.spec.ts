// The bundles the image ships (`npm run build`, tools/build.ts), run from a folder outside the
// checkout so that nothing can come from node_modules: every app answers, the proxy serves and
// logs a request, counts it in /metrics, and loads the original-dst addon from beside its bundle.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run, start, waitFor, type Started } from '@outrigger/testing';

const root = resolve(import.meta.dirname, '..', '..');
const BINS = ['apps/proxy', 'apps/injector', 'apps/log-exporter', 'apps/config-watcher'].flatMap((dir) =>
  Object.keys((JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin));

describe('npm run build: the bundles the image runs', () => {
  let dir: string;
  let out: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outrigger-bundle-'));
    out = join(dir, 'bundle');
    const built = await run(process.execPath, [join(root, 'tools', 'build.ts'), '--out', out], { cwd: root, timeoutMs: 60_000 });
    assert.equal(built.code, 0, built.stderr);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('one executable bundle per app bin, each answering --help without node_modules', async () => {
    assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.mjs')).sort(), BINS.map((b) => `${b}.mjs`).sort());
    for (const bin of BINS) {
      const r = await run(join(out, `${bin}.mjs`), ['--help'], { cwd: dir }); // by its shebang, as PATH would
      assert.equal(r.code, 0, `${bin}: ${r.stderr}`);
      assert.match(r.stdout + r.stderr, new RegExp(`usage: ${bin}`, "i"));
    }
  });

  test('each bundle is ASCII only (node keeps the source as a two-byte string otherwise: twice the memory)', () => {
    for (const bin of BINS) {
      const source = readFileSync(join(out, `${bin}.mjs`), 'utf8');
      const at = source.search(/[^\x00-\x7f]/);
      assert.equal(at, -1, `${bin}.mjs has ${JSON.stringify(source.slice(at, at + 1))} at ${at}: ${source.slice(Math.max(0, at - 60), at + 20)}`);
    }
  });

  test("no bundle loads node's undici or web streams, the proxy no Web Crypto (built-ins by require, not by ES import)", async () => {
    // An ES import of node:http reads its lazy WebSocket export, which loads node's own undici;
    // one of node:crypto reads webcrypto. (node-forge, which the injector loads, uses Web Crypto.)
    const listModules = 'data:text/javascript,process.on("exit",()=>process.stderr.write("\\nMODULES "+JSON.stringify(process.moduleLoadList)+"\\n"))';
    for (const bin of BINS) {
      const r = await run(process.execPath, ['--import', listModules, join(out, `${bin}.mjs`), '--help'], { cwd: dir });
      assert.equal(r.code, 0, `${bin}: ${r.stderr}`);
      const loaded = JSON.parse(/MODULES (.*)/.exec(r.stderr)?.[1] ?? 'null') as string[] | null;
      assert.ok(loaded?.some((m) => m.includes('internal/url')), `${bin}: no module list: ${r.stderr}`);
      const unwanted = bin === 'outrigger-proxy' ? /internal\/deps\/undici|internal\/webstreams|internal\/crypto\/webcrypto/ : /internal\/deps\/undici|internal\/webstreams/;
      assert.deepEqual((loaded ?? []).filter((m) => unwanted.test(m)), [], bin);
    }
  });

  test("zod's messages in English, its other 63 locales left out (tools/build.ts)", async () => {
    for (const bin of BINS) assert.doesNotMatch(readFileSync(join(out, `${bin}.mjs`), 'utf8'), /^\/\/ node_modules\/zod\/v4\/locales\/(?!en\.js)/m, bin);
    const config = join(dir, 'wrong-type.yaml');
    writeFileSync(config, 'admin: { port: web }\nlisteners: []\n');
    const r = await run(join(out, 'outrigger-proxy.mjs'), ['--config', config], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^ {2}admin\.port: Invalid input: expected number, received string$/m);
  });

  describe('the bundled proxy', () => {
    let app: Server;
    let proxy: Started;
    const accessLog = () => join(dir, 'access.log');
    let ports: { web: number; inbound: number; admin: number };

    before(async () => {
      app = createServer((req, res) => res.end(`hello ${req.url}`));
      await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
      const config = join(dir, 'proxy.yaml');
      // Transparent listeners make the proxy load the original-dst addon at start.
      writeFileSync(config, [
        'admin: { address: 127.0.0.1, port: 0 }',
        'listeners:',
        `  - { name: web, address: 127.0.0.1, port: 0, tls: none, protocol: http, upstream: "127.0.0.1:${(app.address() as AddressInfo).port}" }`,
        'transparent: { inbound: { address: 127.0.0.1, port: 0 }, outbound: { address: 127.0.0.1, port: 0 } }',
        `accessLog: { stdout: false, file: ${JSON.stringify(accessLog())} }`,
      ].join('\n'));
      proxy = start(process.execPath, [join(out, 'outrigger-proxy.mjs'), '--config', config], { cwd: dir });
      const ready = JSON.parse(await proxy.waitForLine(/"msg":"ready"/, 20_000)) as { listeners: Array<{ name: string; port: number }>; admin: { port: number } };
      const port = (name: string) => ready.listeners.find((l) => l.name === name)?.port ?? 0;
      ports = { web: port('web'), inbound: port('inbound'), admin: ready.admin.port };
    });

    after(async () => {
      await proxy?.stop();
      app?.close();
    });

    test('serves a request, logs it and counts it', async () => {
      assert.ok(ports.inbound > 0, 'the transparent inbound listener is up: the addon loaded from beside the bundle');
      const r = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${ports.web}/from-bundle`]);
      assert.equal(r.stdout, 'hello /from-bundle');
      const line = await waitFor(() => readFileSync(accessLog(), 'utf8').split('\n').find((l) => l.includes('/from-bundle')), 'the access-log line');
      assert.equal((JSON.parse(line) as { response_code: number }).response_code, 200);
      const metrics = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${ports.admin}/metrics`]);
      assert.match(metrics.stdout, /^outrigger_requests_total\{[^}]*status_code="200"[^}]*\} 1$/m);
      // The version is read from apps/proxy/package.json, which the bundle carries inside itself.
      const version = (JSON.parse(readFileSync(join(root, 'apps/proxy/package.json'), 'utf8')) as { version: string }).version;
      assert.match(metrics.stdout, new RegExp(`^outrigger_build_info\\{version="${version.replaceAll('.', '\\.')}"`, 'm'));
    });
  });
});
