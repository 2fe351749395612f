// outrigger-config-watcher as a real process, with the example legacy app as a real process beside
// it: a ConfigMap folder updated the kubelet's way, bad configs refused, an HTTP source with ETags,
// the notification modes, and the app that cannot be seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { run, start, waitFor, withTempDir, writeKubeletVolume, type Started } from '@outrigger/testing';

const root = resolve(import.meta.dirname, '../../..');
const WATCHER = join(root, 'apps/config-watcher/src/main.ts');
const APP = join(root, 'examples/src/legacy-app.ts');

interface Watcher {
  proc: Started;
  admin: number;
  metric(series: string): Promise<number>;
}

async function startWatcher(args: string[]): Promise<Watcher> {
  const proc = start(process.execPath, [WATCHER, '--admin-address', '127.0.0.1', '--admin-port', '0', '--debounce', '50ms', ...args]);
  const line = await proc.waitForLine(/"msg":"watching"/);
  const admin = (JSON.parse(line) as { admin_port: number }).admin_port;
  return {
    proc,
    admin,
    async metric(series) {
      const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
      const found = text.split('\n').find((l) => l.startsWith(`${series} `));
      return found ? Number(found.split(' ')[1]) : 0;
    },
  };
}

const reloads = (result: string) => `outrigger_config_reloads_total{component="app",result="${result}"}`;

/** The legacy app reading dest/app.yaml; `name` runs it under a unique file name, for --process-name. */
async function startApp(config: string, name?: string): Promise<{ proc: Started; port: number; greeting(): Promise<string>; reloads(): number }> {
  const script = name ?? APP;
  if (name) symlinkSync(APP, name); // node resolves the real path for imports; argv[1] keeps the name
  const proc = start(process.execPath, [script], { env: { ...process.env, LEGACY_APP_PORT: '0', LEGACY_APP_CONFIG: config } });
  const port = Number(/:(\d+) \(plain HTTP/.exec(await proc.waitForLine(/listening on/))?.[1]);
  return {
    proc,
    port,
    greeting: async () => (await (await fetch(`http://127.0.0.1:${port}/`)).text()).split('\n')[0] ?? '',
    reloads: () => (proc.stderr().match(/SIGHUP: reloaded config/g) ?? []).length,
  };
}

const ready = (w: Watcher) => waitFor(async () => (await fetch(`http://127.0.0.1:${w.admin}/ready`)).status === 200, 'the watcher ready');

test('a ConfigMap folder updated three times the kubelet way: each update reaches the app with exactly one SIGHUP', () =>
  withTempDir(async (dir) => {
    const src = join(dir, 'configmap');
    const dest = join(dir, 'shared');
    const pidFile = join(dir, 'app.pid');
    writeKubeletVolume(src, { 'app.yaml': 'greeting: hello v0\n' });
    const watcher = await startWatcher(['--source', `dir:${src}`, '--dest', dest, '--notify', 'signal:HUP', '--pid-file', pidFile, '--poll', '1m']);
    let app;
    try {
      await ready(watcher);
      app = await startApp(join(dest, 'app.yaml'));
      writeFileSync(pidFile, String(app.proc.child.pid));
      assert.equal(await app.greeting(), 'hello v0');
      for (let v = 1; v <= 3; v++) {
        const before = readlinkSync(join(dest, '..data'));
        writeKubeletVolume(src, { 'app.yaml': `greeting: hello v${v}\n`, ...(v === 2 ? { 'extra.json': '{"x": 1}' } : {}) });
        await waitFor(async () => (await app!.greeting()) === `hello v${v}`, `update ${v} served by the app`);
        assert.equal(app.reloads(), v, `signals after update ${v}`);
        assert.notEqual(readlinkSync(join(dest, '..data')), before);
      }
      assert.equal(await watcher.metric(reloads('success')), 4); // the initial write and three updates
      assert.deepEqual(readdirSync(dest).filter((n) => !n.startsWith('..2')).sort(), ['..data', 'app.yaml']);
      const lines = watcher.proc.stderr().split('\n').filter((l) => l.includes('"msg":"config reloaded'));
      assert.equal(lines.length, 3);
      assert.match(lines[1] ?? '', /"diff_summary":"app\.yaml changed \(\+1 -1 lines, 1 -> 1\); extra\.json added \(1 lines\)".*"notified":\["SIGHUP sent to process \d+"\]/);
      assert.equal(app.reloads(), 3);
    } finally {
      await app?.proc.stop();
      await watcher.proc.stop();
    }
  }));

test('bad YAML, a schema violation and a failing --validate-cmd are refused: dest and app untouched, each counted; then a good one goes through', () =>
  withTempDir(async (dir) => {
    const src = join(dir, 'configmap');
    const dest = join(dir, 'shared');
    const schema = join(dir, 'app.schema.json');
    writeFileSync(schema, JSON.stringify({ type: 'object', additionalProperties: false, required: ['greeting'], properties: { greeting: { type: 'string' } } }));
    writeKubeletVolume(src, { 'app.yaml': 'greeting: hello v0\n' });
    const name = join(dir, `legacy-app-${process.pid}.ts`);
    const watcher = await startWatcher([
      '--source', `dir:${src}`, '--dest', dest, '--schema', `app.yaml=${schema}`,
      '--validate-cmd', '! grep -q forbidden "$1/app.yaml"', '--notify', 'signal:HUP', '--process-name', `legacy-app-${process.pid}.ts`,
    ]);
    let app;
    try {
      await ready(watcher);
      app = await startApp(join(dest, 'app.yaml'), name);
      const good = readlinkSync(join(dest, '..data'));
      const bad: Array<[string, string, RegExp]> = [
        ['greeting: [unclosed\n', 'config_unparsable', /app\.yaml: YAML syntax/],
        ['greeting: 42\n', 'schema_violation', /app\.yaml: \/greeting: must be string/],
        ['greeting: forbidden words\n', 'validate_cmd_failed', /--validate-cmd rejected the config: exit 1/],
      ];
      for (const [i, [text, kind, logged]] of bad.entries()) {
        writeKubeletVolume(src, { 'app.yaml': text });
        await waitFor(async () => (await watcher.metric(reloads('invalid'))) === i + 1, `${kind} counted`);
        assert.equal(await watcher.metric(`outrigger_config_watcher_errors_total{kind="${kind}",reason=""}`), 1);
        assert.match(watcher.proc.stderr(), logged);
        assert.equal(readlinkSync(join(dest, '..data')), good);
        assert.equal(readFileSync(join(dest, 'app.yaml'), 'utf8'), 'greeting: hello v0\n');
        assert.deepEqual(readdirSync(dest).filter((n) => n.startsWith('..2')), [good], 'no staged folder left behind');
        assert.equal(app.reloads(), 0, 'the app was not signalled');
        assert.equal(await app.greeting(), 'hello v0');
      }
      assert.equal(await watcher.metric(reloads('success')), 1);
      writeKubeletVolume(src, { 'app.yaml': 'greeting: hello after the refusals\n' });
      await waitFor(async () => (await app!.greeting()) === 'hello after the refusals', 'the next good config');
      assert.equal(app.reloads(), 1);
      assert.match(watcher.proc.stderr(), /"result":"invalid".*"error":"schema_violation".*"problems":\["app\.yaml: \/greeting: must be string"\]/);
    } finally {
      await app?.proc.stop();
      await watcher.proc.stop();
    }
  }));

test('an HTTP source with ETags: 304s cost nothing, a change propagates, the server down for a while is survived', () =>
  withTempDir(async (dir) => {
    const dest = join(dir, 'shared');
    const pidFile = join(dir, 'app.pid');
    const state = { body: 'greeting: hello over http\n', version: 1, full: 0, notModified: 0 };
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const etag = `"v${state.version}"`;
      if (req.headers['if-none-match'] === etag) {
        state.notModified++;
        return void res.writeHead(304, { etag }).end();
      }
      state.full++;
      res.writeHead(200, { etag, 'content-type': 'application/yaml' }).end(state.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const watcher = await startWatcher(['--source', `url:http://127.0.0.1:${port}/app.yaml`, '--dest', dest, '--poll', '50ms', '--notify', 'signal:HUP', '--pid-file', pidFile]);
    let app;
    try {
      await ready(watcher);
      app = await startApp(join(dest, 'app.yaml'));
      writeFileSync(pidFile, String(app.proc.child.pid));
      const generation = readlinkSync(join(dest, '..data'));
      await waitFor(async () => (await watcher.metric('outrigger_config_source_polls_total{result="not_modified"}')) >= 5, 'five 304s');
      assert.equal(state.full, 1);
      assert.equal(readlinkSync(join(dest, '..data')), generation, '304s write nothing');
      assert.equal(app.reloads(), 0, '304s signal nothing');
      assert.equal(await watcher.metric(reloads('success')), 1);

      state.body = 'greeting: hello v2 over http\n';
      state.version++;
      await waitFor(async () => (await app!.greeting()) === 'hello v2 over http', 'the change');
      assert.equal(app.reloads(), 1);

      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await waitFor(async () => (await watcher.metric('outrigger_config_watcher_errors_total{kind="source_unavailable",reason="unreachable"}')) >= 1, 'the outage noticed');
      state.body = 'greeting: hello after the outage\n';
      state.version++;
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      await waitFor(async () => (await app!.greeting()) === 'hello after the outage', 'the change after the outage', 15_000);
      assert.equal(app.reloads(), 2);
      assert.equal(watcher.proc.child.exitCode, null);
    } finally {
      await app?.proc.stop();
      await watcher.proc.stop();
      server.close();
    }
  }));

test('a process that is not visible: the config is written, notify_failed is counted, the log says what to do', () =>
  withTempDir(async (dir) => {
    const src = join(dir, 'configmap');
    const dest = join(dir, 'shared');
    writeKubeletVolume(src, { 'app.yaml': 'greeting: v0\n' });
    const watcher = await startWatcher(['--source', `dir:${src}`, '--dest', dest, '--notify', 'signal:HUP', '--process-name', 'no-such-app-anywhere']);
    try {
      await ready(watcher);
      writeKubeletVolume(src, { 'app.yaml': 'greeting: v1\n' });
      await waitFor(async () => (await watcher.metric(reloads('notify_failed'))) === 1, 'notify_failed counted');
      assert.equal(await watcher.metric('outrigger_config_watcher_errors_total{kind="process_not_visible",reason=""}'), 1);
      assert.equal(readFileSync(join(dest, 'app.yaml'), 'utf8'), 'greeting: v1\n');
      assert.match(watcher.proc.stderr(), /config written, but the app was not notified: no process named \\"no-such-app-anywhere\\" is visible in \/proc \(\d+ processes visible\); the app and the watcher must share a process namespace: set shareProcessNamespace: true in the pod spec/);
    } finally {
      await watcher.proc.stop();
    }
  }));

test('notify by HTTP POST and by command, in order', () =>
  withTempDir(async (dir) => {
    const src = join(dir, 'configmap');
    const dest = join(dir, 'shared');
    const marker = join(dir, 'marker');
    const posts: string[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        posts.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/-/reload`;
    writeKubeletVolume(src, { 'app.yaml': 'greeting: v0\n' });
    const watcher = await startWatcher(['--source', `dir:${src}`, '--dest', dest, '--notify', `http:POST:${url}`, '--notify', `exec:cat "$1/app.yaml" > ${marker}`]);
    try {
      await ready(watcher);
      writeKubeletVolume(src, { 'app.yaml': 'greeting: v1\n' });
      await waitFor(async () => (await watcher.metric(reloads('success'))) === 2, 'the reload');
      assert.equal(readFileSync(marker, 'utf8'), 'greeting: v1\n');
      assert.equal(posts.length, 1);
      assert.match(posts[0] ?? '', /^POST \/-\/reload \{"dest":".*shared","generation":"\.\.\d{4}_.*","hash":"[0-9a-f]{64}"\}$/);
      assert.match(watcher.proc.stderr(), /"notified":\["POST http:\/\/127\.0\.0\.1:\d+\/-\/reload answered 204","notify command exited 0"\]/);
    } finally {
      await watcher.proc.stop();
      hook.close();
    }
  }));

test('the first config over a plain file in dest (an image default) is notified and the file named at start; a restart or an empty dest sends nothing', () =>
  withTempDir(async (dir) => {
    const src = join(dir, 'configmap');
    const log = join(dir, 'notified.log');
    writeKubeletVolume(src, { 'app.yaml': 'greeting: v1\n' });
    const notified = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    /** One watcher run until its first reload; returns the start line's in_dest and that reload's line. */
    const firstReload = async (dest: string) => {
      const watcher = await startWatcher(['--source', `dir:${src}`, '--dest', dest, '--log-level', 'debug', '--notify', `exec:cat "$1/app.yaml" >> ${log}`]);
      try {
        const reload = await watcher.proc.waitForLine(/"event":"reload"/);
        const watching = JSON.parse(await watcher.proc.waitForLine(/"msg":"watching"/)) as { in_dest: string[] };
        return { inDest: watching.in_dest, reload };
      } finally {
        await watcher.proc.stop();
      }
    };
    const dest = join(dir, 'shared');
    mkdirSync(dest);
    writeFileSync(join(dest, 'app.yaml'), 'greeting: image default\n');
    const replaced = await firstReload(dest);
    assert.deepEqual(replaced.inDest, ['app.yaml']);
    assert.match(replaced.reload, /"msg":"config reloaded: app\.yaml added/);
    assert.equal(notified(), 'greeting: v1\n', 'the app was told once, after the switch');
    assert.equal(readlinkSync(join(dest, 'app.yaml')), '..data/app.yaml');

    const restarted = await firstReload(dest);
    assert.deepEqual(restarted.inDest, ['app.yaml']);
    assert.match(restarted.reload, /"result":"unchanged"/);

    const fresh = join(dir, 'fresh');
    mkdirSync(join(fresh, 'lost+found'), { recursive: true });
    mkdirSync(join(fresh, '..2025_01_02_03_04_05.000dead')); // left by a crash before its switch
    const initial = await firstReload(fresh);
    assert.deepEqual(initial.inDest, []);
    assert.match(initial.reload, /"msg":"initial config written \(no notification/);
    assert.equal(notified(), 'greeting: v1\n', 'neither the restart nor the empty dest notified');
  }));

test('a source missing at start: /live answers, /ready does not until a good config is in dest; the failure is counted', () =>
  withTempDir(async (dir) => {
    const src = join(dir, 'configmap');
    const watcher = await startWatcher(['--source', `dir:${src}`, '--dest', join(dir, 'shared'), '--poll', '100ms']);
    try {
      const status = async (path: string) => (await fetch(`http://127.0.0.1:${watcher.admin}${path}`)).status;
      await waitFor(async () => (await watcher.metric('outrigger_config_watcher_errors_total{kind="source_unavailable",reason="not_found"}')) >= 1, 'the missing source counted');
      assert.equal(await status('/live'), 200);
      assert.equal(await status('/ready'), 503);
      assert.equal(await status('/nope'), 404);
      assert.match(watcher.proc.stderr(), /"level":"warn".*"reason":"not_found".*the source gave no config/);
      writeKubeletVolume(src, { 'app.yaml': 'greeting: late\n' });
      await ready(watcher);
      assert.equal(readFileSync(join(dir, 'shared', 'app.yaml'), 'utf8'), 'greeting: late\n');
    } finally {
      await watcher.proc.stop();
    }
  }));

test('--once fills dest and exits 0, refuses a bad config with 1; bad flags exit 2', () =>
  withTempDir(async (dir) => {
    const src = join(dir, 'configmap');
    writeKubeletVolume(src, { 'app.yaml': 'greeting: v0\n' });
    const once = await run(process.execPath, [WATCHER, '--source', `dir:${src}`, '--dest', join(dir, 'a'), '--once']);
    assert.equal(once.code, 0, once.stderr);
    assert.equal(readFileSync(join(dir, 'a', 'app.yaml'), 'utf8'), 'greeting: v0\n');
    writeKubeletVolume(src, { 'app.yaml': 'greeting: [\n' });
    const refused = await run(process.execPath, [WATCHER, '--source', `dir:${src}`, '--dest', join(dir, 'b'), '--once']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /config refused/);
    assert.deepEqual(readdirSync(dir).sort(), ['a', 'configmap']);
    const usage = await run(process.execPath, [WATCHER, '--source', `dir:${src}`, '--dset', '/x']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^outrigger-config-watcher: Unknown option '--dset'/);
  }));
