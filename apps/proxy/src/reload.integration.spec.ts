// Live reload of the proxy's own config file, as a ConfigMap update or an edit would change it:
// live keys apply without a restart and without dropping connections, restart-only keys are
// reported, and a bad config is refused while the last good one keeps serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { start, waitFor, type Started } from '@outrigger/testing';

const MAIN = resolve(import.meta.dirname, 'main.ts');
let dir: string;
let proxy: Started;
let web = 0;
let admin = '';
let appPort = 0;
const app = createServer((req, res) => res.end(`ok ${req.url}`));

const configText = (extra: string, upstreamPort = appPort) => `admin: { address: 127.0.0.1, port: 0 }
listeners:
  - { name: web, address: 127.0.0.1, port: 0, tls: none, protocol: http, upstream: "127.0.0.1:${upstreamPort}" }
${extra}`;

/** Replaces the file atomically, as an editor or the config watcher does. */
function writeConfig(text: string): void {
  writeFileSync(join(dir, 'proxy.yaml.tmp'), text);
  renameSync(join(dir, 'proxy.yaml.tmp'), join(dir, 'proxy.yaml'));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outrigger-reload-'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  appPort = (app.address() as AddressInfo).port;
  writeConfig(configText('accessLog: { stdout: false, file: first.log }\n'));
  proxy = start(process.execPath, [MAIN, '--config', join(dir, 'proxy.yaml')]);
  const ready = JSON.parse(await proxy.waitForLine(/"msg":"ready"/)) as { listeners: Array<{ port: number }>; admin: { port: number } };
  web = ready.listeners[0]?.port ?? 0;
  admin = `http://127.0.0.1:${ready.admin.port}`;
});

after(async () => {
  await proxy?.stop();
  app.close();
  rmSync(dir, { recursive: true, force: true });
});

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const get = (path: string) =>
  new Promise<string>((resolvePromise, reject) => {
    request({ host: '127.0.0.1', port: web, path, agent }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolvePromise(body));
    }).on('error', reject).end();
  });

test('live keys apply on a file change, on the same kept-alive connection', async () => {
  assert.equal(await get('/before'), 'ok /before');
  writeConfig(configText('accessLog: { stdout: false, file: second.log }\nlog: { level: debug }\n'));
  await proxy.waitForLine(/"msg":"config reloaded"/, 15_000);
  assert.equal(await get('/after'), 'ok /after', 'the kept-alive connection still works');
  await waitFor(() => existsSync(join(dir, 'second.log')) && readFileSync(join(dir, 'second.log'), 'utf8').includes('"/after"'), 'the new access log file to get the line');
  assert.ok(readFileSync(join(dir, 'first.log'), 'utf8').includes('"/before"'));
  const config = (await (await fetch(`${admin}/config`)).json()) as { log: { level: string } };
  assert.equal(config.log.level, 'debug');
  const metrics = await (await fetch(`${admin}/metrics`)).text();
  assert.match(metrics, /outrigger_config_reloads_total\{component="proxy",result="success"\} 1/);
});

test('a bad config is refused with the problem named; the proxy keeps the last good one', async () => {
  writeConfig(configText('accessLog: { stdout: false, file: second.log }\nlog: { level: debug }\ntimeouts: { detect: soon }\n'));
  const line = await proxy.waitForLine(/config reload refused/, 15_000);
  assert.match(line, /timeouts\.detect/);
  assert.equal(await get('/still'), 'ok /still');
  const metrics = await (await fetch(`${admin}/metrics`)).text();
  assert.match(metrics, /outrigger_config_reloads_total\{component="proxy",result="invalid"\} 1/);
});

test('a change that needs a restart is reported as such, not silently ignored', async () => {
  writeConfig(configText('accessLog: { stdout: false, file: second.log }\nlog: { level: debug }\n', 1));
  const line = await proxy.waitForLine(/some changes need a restart/, 15_000);
  assert.match(line, /"restart_required":\["listeners"\]/);
  assert.equal(await get('/unchanged'), 'ok /unchanged', 'the listener keeps its old upstream until a restart');
  agent.destroy();
});
