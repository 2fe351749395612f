// The demo app as a real process: the default greeting, the greeting from LEGACY_APP_CONFIG, and
// a reload on SIGHUP that keeps the current greeting when the file is bad.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const APP = join(import.meta.dirname, 'legacy-app.ts');

async function startApp(env: Record<string, string>) {
  const child = spawn(process.execPath, [APP], { env: { ...process.env, LEGACY_APP_PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitForLog = async (re: RegExp, count = 1) => {
    const deadline = Date.now() + 10_000;
    while ((log.match(new RegExp(re, 'g')) ?? []).length < count) {
      if (child.exitCode !== null) throw new Error(`legacy-app exited: ${log}`);
      if (Date.now() > deadline) throw new Error(`no ${re} in: ${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    child,
    log: () => log,
    exited,
    waitForLog,
    async port() {
      await waitForLog(/listening on/);
      return Number(/listening on http:\/\/[^:]+:(\d+)/.exec(log)?.[1]);
    },
    stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

const get = async (port: number) => (await fetch(`http://127.0.0.1:${port}/`)).text();

test('without a config file it greets as it always did', async () => {
  const app = await startApp({});
  try {
    assert.match(await get(await app.port()), /^hello from the legacy app\n\{"method":"GET","path":"\/"/);
  } finally {
    await app.stop();
  }
});

test('the greeting comes from LEGACY_APP_CONFIG and is re-read on SIGHUP; a bad file keeps the current one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'legacy-app-'));
  const file = join(dir, 'app.yaml');
  writeFileSync(file, 'greeting: hello from v1\n');
  const app = await startApp({ LEGACY_APP_CONFIG: file });
  try {
    const port = await app.port();
    assert.match(await get(port), /^hello from v1\n/);
    writeFileSync(file, '{"greeting": "hello from v2 (JSON)"}');
    app.child.kill('SIGHUP');
    await app.waitForLog(/SIGHUP: reloaded config/);
    assert.match(await get(port), /^hello from v2 \(JSON\)\n/);
    writeFileSync(file, 'greeting: [unclosed\n');
    app.child.kill('SIGHUP');
    await app.waitForLog(/not reloaded/);
    assert.match(await get(port), /^hello from v2 \(JSON\)\n/);
    assert.equal(app.child.exitCode, null);
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a config that cannot be used at start stops the app with a message', async () => {
  const app = await startApp({ LEGACY_APP_CONFIG: '/nonexistent/app.yaml' });
  assert.equal(await app.exited, 1);
  assert.match(app.log(), /cannot use config \/nonexistent\/app\.yaml: ENOENT/);
});
