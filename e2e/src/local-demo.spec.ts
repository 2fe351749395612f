// The newcomer path: `npm start` (examples/src/local-demo.ts) run as a user would, then the curl
// commands it prints, /metrics through promtool, the access log, and Ctrl-C stopping everything.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, run, start, waitFor, withTempDir, type Started } from '@outrigger/testing';

const root = resolve(import.meta.dirname, '..', '..');

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket.destroy() !== undefined));
    socket.once('error', () => resolve(false));
  });
}

type DemoPorts = { app: number; mtls: number; edge: number; admin: number };

/** The demo's folder and ports, moved out of the way of anything else on the machine. */
function demoEnv(dir: string, ports: DemoPorts): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OUTRIGGER_DEMO_DIR: dir,
    OUTRIGGER_DEMO_APP_PORT: String(ports.app),
    OUTRIGGER_DEMO_MTLS_PORT: String(ports.mtls),
    OUTRIGGER_DEMO_EDGE_PORT: String(ports.edge),
    OUTRIGGER_DEMO_ADMIN_PORT: String(ports.admin),
  };
}

describe('npm start: the local demo', () => {
  let demo: Started;
  let dir: string;
  const ports = { app: 0, mtls: 0, edge: 0, admin: 0 };
  let printed = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outrigger-demo-'));
    for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = await freePort();
    demo = start(process.execPath, [join(root, 'examples', 'src', 'local-demo.ts')], {
      cwd: root,
      env: demoEnv(dir, ports),
    });
    await demo.waitForLine(/Press Ctrl-C to stop/, 30_000);
    printed = demo.stdout();
  });

  after(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The curl command the demo printed under a heading, run as printed (from the repo root). */
  async function printedCurl(heading: RegExp) {
    const lines = printed.split('\n');
    const at = lines.findIndex((l) => heading.test(l));
    assert.ok(at >= 0, `the demo prints ${heading}`);
    const command = (lines[at + 1] ?? '').trim();
    assert.match(command, /^curl /);
    const args = command.split(/\s+/).slice(1);
    return run('curl', ['-sS', '--max-time', '10', ...args], { cwd: root });
  }

  test('curl with the client certificate gets the legacy app body', async () => {
    const r = await printedCurl(/mutual TLS \(client certificate required\)/);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello from the legacy app/);
  });

  test('curl without a client certificate is refused at the TLS layer', async () => {
    const r = await printedCurl(/without a client certificate/);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /alert|certificate/i);
  });

  test('curl with a certificate from another CA is refused at the TLS layer', async () => {
    const r = await printedCurl(/certificate from another CA/);
    // node checks the chain right after the handshake and closes before reading the request:
    // with TLS 1.3 curl reports an empty reply rather than an alert (docs/reference/config.md).
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Empty reply|alert|certificate|reset/i);
  });

  test('the edge listener serves HTTPS without a client certificate', async () => {
    const r = await printedCurl(/server TLS only/);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello from the legacy app/);
  });

  test('/metrics counts the requests and passes promtool check metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${ports.admin}/metrics`)).text();
    assert.match(text, /outrigger_requests_total\{direction="inbound",status_code="200",classification="success",tls="mutual",peer_identity="spiffe:\/\/cluster\.local\/ns\/demo\/sa\/curl",authority=""\} [1-9]/);
    const own = text.split('\n').filter((l) => /^(# (HELP|TYPE) )?outrigger_/.test(l) && !/^(# (HELP|TYPE) )?outrigger_(process|nodejs)_/.test(l)).join('\n') + '\n';
    const promtool = await run('promtool', ['check', 'metrics'], { input: own });
    assert.equal(promtool.code, 0, promtool.stdout + promtool.stderr);
  });

  test('each request left one access-log line in the file the demo names', async () => {
    const file = join(dir, 'access.log');
    assert.ok(printed.includes('access.log'));
    const lines = await waitFor(() => {
      const all = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      return all.filter((l) => l.method === 'GET').length >= 2 ? all : undefined;
    }, 'two HTTP access-log lines');
    const ok = lines.find((l) => l.response_code === 200 && l.tls === 'mutual');
    assert.equal(ok?.peer_identity, 'spiffe://cluster.local/ns/demo/sa/curl');
    assert.equal(typeof ok?.request_id, 'string');
  });

  test('Ctrl-C stops the demo and everything it started', async () => {
    demo.child.kill('SIGINT');
    const exit = await demo.stop(10_000);
    assert.equal(exit.code, 0);
    for (const port of Object.values(ports)) {
      assert.equal(await waitFor(async () => !(await listening(port)), `port ${port} closed`), true);
    }
  });
});

/** PIDs listening on a TCP port (ss -ltnp), to clean up after a demo that outlived its npm. */
async function listeners(port: number): Promise<number[]> {
  const r = await run('ss', ['-Hltnp', `sport = :${port}`]);
  return [...r.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

describe('npm start, stopped through npm', () => {
  test('SIGTERM to npm (a process manager, `kill <npm pid>`) stops the demo and everything it started', () => withTempDir(async (dir) => {
    const ports: DemoPorts = { app: await freePort(), mtls: await freePort(), edge: await freePort(), admin: await freePort() };
    // The npm that runs this suite (npm test sets npm_execpath), else the one on PATH.
    const execpath = process.env.npm_execpath;
    const npm = execpath
      ? start(process.execPath, [execpath, 'start'], { cwd: root, env: demoEnv(dir, ports) })
      : start('npm', ['start'], { cwd: root, env: demoEnv(dir, ports) });
    try {
      await npm.waitForLine(/Press Ctrl-C to stop/, 30_000);
      // npm passes SIGTERM on to its script's process; the script must be the demo itself (exec),
      // not a shell that would die and leave the demo running.
      await npm.stop(10_000);
      for (const port of Object.values(ports)) {
        assert.equal(await waitFor(async () => !(await listening(port)), `port ${port} closed`), true);
      }
    } finally {
      await npm.stop(1_000);
      for (const port of Object.values(ports)) for (const pid of await listeners(port)) process.kill(pid, 'SIGKILL');
    }
  }));
});
