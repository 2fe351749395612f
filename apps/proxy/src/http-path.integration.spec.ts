// The L7 path of the real proxy process against misbehaving and well-behaved peers on loopback:
// keep-alive reuse to the app, client aborts, upstream reset and stall, slow headers, oversized
// headers, WebSocket echo, and server-first protocols with and without detection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { run, start, waitFor, type Started } from '@outrigger/testing';

const MAIN = resolve(import.meta.dirname, 'main.ts');

describe('the HTTP path', () => {
  let dir: string;
  let proxy: Started;
  const ports: Record<string, number> = {};
  let adminPort = 0;
  let appConnections = 0;
  const aborted: string[] = [];
  const app = createHttpServer((req, res) => {
    if (req.url === '/slow-stream') return void streamSlowly(res, req.url);
    if (req.url === '/reset-before') return void req.socket.destroy();
    if (req.url === '/reset-mid') {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      return void setTimeout(() => req.socket.destroy(), 50);
    }
    if (req.url === '/stall') return; // never answers
    if (req.url === '/slow-ok') return void tickThenEnd(res, 30); // 1.5 s: longer than the header timeout
    res.end(`ok ${req.url}`);
  });
  app.on('connection', () => appConnections++);
  function streamSlowly(res: ServerResponse, url: string): void {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('tick\n'), 50);
    res.on('close', () => {
      clearInterval(timer);
      if (!res.writableFinished) aborted.push(url);
    });
  }
  function tickThenEnd(res: ServerResponse, ticks: number): void {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const timer = setInterval(() => {
      res.write('tick\n');
      if (++sent === ticks) {
        clearInterval(timer);
        res.end('done\n');
      }
    }, 50);
  }
  const greeter = createServer((s) => s.on('error', () => {}).end('220 smtp.example ESMTP ready\r\n'));
  const wss = new WebSocketServer({ noServer: true });
  const wsApp = createHttpServer();
  const wsClosedAtServer: number[] = [];
  wsApp.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('message', (data) => (data.toString() === 'bye' ? ws.close(1000, 'server says bye') : ws.send(`echo:${data.toString()}`)));
    ws.on('close', (code) => wsClosedAtServer.push(code));
  }));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outrigger-http-it-'));
    for (const s of [app, greeter, wsApp]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s: { address(): unknown }) => (s.address() as AddressInfo).port;
    writeFileSync(
      join(dir, 'proxy.yaml'),
      `admin: { address: 127.0.0.1, port: 0 }
listeners:
  - { name: app, address: 127.0.0.1, port: 0, tls: none, upstream: "127.0.0.1:${port(app)}" }
  - { name: smtp-opaque, address: 127.0.0.1, port: 0, tls: none, protocol: tcp, upstream: "127.0.0.1:${port(greeter)}" }
  - { name: smtp-detect, address: 127.0.0.1, port: 0, tls: none, upstream: "127.0.0.1:${port(greeter)}" }
  - { name: ws, address: 127.0.0.1, port: 0, tls: none, upstream: "127.0.0.1:${port(wsApp)}" }
accessLog: { stdout: true }
timeouts: { detect: 400ms, upstreamResponse: 500ms, requestHeaders: 1s }
limits: { maxRequestHeaderBytes: 4096 }
`,
    );
    proxy = start(process.execPath, [MAIN, '--config', join(dir, 'proxy.yaml')]);
    const ready = JSON.parse(await proxy.waitForLine(/"msg":"ready"/)) as { listeners: Array<{ name: string; port: number }>; admin: { port: number } };
    for (const l of ready.listeners) ports[l.name] = l.port;
    adminPort = ready.admin.port;
  });

  after(async () => {
    await proxy?.stop();
    for (const s of [app, greeter, wsApp]) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (path: string) => `http://127.0.0.1:${ports.app}${path}`;
  const curl = (...args: string[]) => run('curl', ['-sS', '--max-time', '10', ...args]);
  const logLine = (path: string) => waitFor(() => proxy.stdout().split('\n').find((l) => l.includes(`"path":"${path}"`)), `access-log line for ${path}`);
  /** The access-log line of a request the proxy refused before its headers were complete (no path to find it by). */
  const refusedLine = async (kind: string) =>
    JSON.parse(await waitFor(() => proxy.stdout().split('\n').find((l) => l.includes(`"error":"${kind}"`)), `access-log line for ${kind}`)) as Record<string, unknown>;

  test('many requests from many clients reuse few connections to the app', async () => {
    const before = appConnections;
    for (let i = 0; i < 40; i++) {
      const r = await curl(url(`/k${i}`));
      assert.equal(r.stdout, `ok /k${i}`);
    }
    assert.ok(appConnections - before <= 2, `the app accepted ${appConnections - before} connections for 40 requests`);
  });

  test('a client that aborts a long response leaves no upstream request open', async () => {
    const r = await run('curl', ['-sS', '--max-time', '1', url('/slow-stream')]);
    assert.notEqual(r.code, 0);
    await waitFor(() => aborted.includes('/slow-stream'), 'the app to see its response closed');
    const line = JSON.parse(await logLine('/slow-stream')) as Record<string, unknown>;
    assert.equal(line.error, 'downstream_aborted');
    assert.equal(line.response_flags, 'DC');
  });

  for (const [path, status, kind, flag] of [
    ['/reset-before', 502, 'upstream_reset', 'UC'],
    ['/stall', 504, 'upstream_timeout', 'UT'],
  ] as const) {
    test(`${path}: ${status} with x-outrigger-error: ${kind}, in the log and the metrics`, async () => {
      const r = await curl('-D', '-', url(path));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^HTTP/1.1 ${status}`));
      assert.match(r.stdout, new RegExp(`x-outrigger-error: ${kind}`, 'i'));
      const line = JSON.parse(await logLine(path)) as Record<string, unknown>;
      assert.equal(line.error, kind);
      assert.equal(line.response_flags, flag);
      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      assert.match(metrics, new RegExp(`outrigger_proxy_errors_total\\{direction="inbound",error="${kind}"\\} [1-9]`));
    });
  }

  test('an upstream reset mid-response closes the client connection and is logged', async () => {
    const r = await curl(url('/reset-mid'));
    assert.notEqual(r.code, 0, 'the client must not mistake a truncated body for a complete one');
    const line = JSON.parse(await logLine('/reset-mid')) as Record<string, unknown>;
    assert.equal(line.response_code, 200);
    assert.ok(line.error === 'upstream_reset' || line.error === 'downstream_aborted', String(line.error));
  });

  test('slowloris: headers not finished within the header timeout get 408 and a close', async () => {
    const socket = connect(ports.app ?? 0, '127.0.0.1');
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n');
    const reply = await new Promise<string>((resolvePromise) => {
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolvePromise(data));
      socket.on('error', () => resolvePromise(data));
    });
    assert.match(reply, /^HTTP\/1\.1 408/);
    // A request line of its own, though its headers never completed: timed from its first byte.
    const line = await refusedLine('request_header_timeout');
    assert.equal(line.response_code, 408);
    assert.equal(line.method, null);
    assert.ok((line.duration_ms as number) >= 900, `duration_ms ${String(line.duration_ms)}: the 1 s header timeout`);
  });

  test('the header timer guards idle connections only: a response longer than it completes, and the connection is reused', async () => {
    // timeouts.requestHeaders is 1 s; /slow-ok takes 1.5 s (a chunk every 50 ms keeps the
    // upstream response timeout away). curl sends the second request on the same connection.
    const r = await curl('-s', '-w', '%{num_connects}\n', url('/slow-ok'), url('/after-slow'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^(tick\n){30}done\n1\nok \/after-slow0\n$/);
    const line = JSON.parse(await logLine('/slow-ok')) as Record<string, unknown>;
    assert.equal(line.response_code, 200);
    assert.equal(line.error, null);
  });

  test('oversized request headers get 431 with the error kind', async () => {
    const r = await curl('-D', '-', '-H', `x-big: ${'a'.repeat(8000)}`, url('/big'));
    assert.match(r.stdout, /^HTTP\/1\.1 431/);
    assert.match(r.stdout, /x-outrigger-error: headers_too_large/i);
    const line = await refusedLine('headers_too_large');
    assert.deepEqual(
      [line.response_code, line.method, line.path, line.authority, line.bytes_sent, line.bytes_received, line.protocol],
      [431, null, null, null, 0, 0, 'http/1.1'],
    );
    assert.notEqual(line.response_flags, '-');
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    assert.match(metrics, /^outrigger_requests_total\{[^}]*status_code="431"[^}]*\} 1$/m);
    assert.match(metrics, /^outrigger_proxy_errors_total\{direction="inbound",error="headers_too_large"\} 1$/m);
  });

  test('a request llhttp cannot parse gets 400, a request line and a count', async () => {
    const reply = await new Promise<string>((resolvePromise) => {
      const socket = connect(ports.app ?? 0, '127.0.0.1');
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolvePromise(data));
      socket.on('error', () => resolvePromise(data));
      socket.write('GET /bad-length HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
    });
    assert.match(reply, /^HTTP\/1\.1 400 [\s\S]*x-outrigger-error: bad_request/i);
    const line = await refusedLine('bad_request');
    assert.equal(line.response_code, 400);
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    assert.match(metrics, /^outrigger_requests_total\{[^}]*status_code="400"[^}]*\} 1$/m);
  });

  test('a client that connects and closes without a byte (a TCP health check) is closed at once, not at the idle timeout', async () => {
    for (const port of [ports.app, ports['smtp-detect']]) {
      const closed = await new Promise<boolean>((resolvePromise) => {
        const socket = connect(port ?? 0, '127.0.0.1', () => socket.end());
        socket.on('error', () => {});
        socket.on('close', () => resolvePromise(true));
        setTimeout(() => {
          socket.destroy();
          resolvePromise(false);
        }, 3000).unref();
      });
      assert.ok(closed, `port ${String(port)}: the proxy kept its side open`);
    }
  });

  test('the process stayed up through all of it', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${adminPort}/live`)).status, 200);
    assert.equal((await curl(url('/still-here'))).stdout, 'ok /still-here');
  });

  test('WebSocket echo passes through, and a close on either side closes the other', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${ports.ws}/chat`);
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const reply = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
    ws.send('hello');
    assert.equal(await reply, 'echo:hello');
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('bye'); // the server closes
    assert.equal(await closed, 1000);
    const ws2 = new WebSocket(`ws://127.0.0.1:${ports.ws}/chat`);
    await new Promise((r, j) => ws2.once('open', r).once('error', j));
    const seen = wsClosedAtServer.length;
    ws2.close(1000, 'client says bye'); // the client closes
    await waitFor(() => wsClosedAtServer.length > seen, 'the server to see the client close');
  });

  const greeting = (port: number) =>
    new Promise<string>((resolvePromise, reject) => {
      const socket: Socket = connect(port, '127.0.0.1');
      socket.once('data', (d) => {
        resolvePromise(d.toString());
        socket.destroy();
      });
      socket.once('error', reject);
      setTimeout(() => reject(new Error('no greeting within 5 s')), 5000).unref();
    });

  test('a server-first peer on an opaque (tcp) port greets without waiting for detection', async () => {
    assert.match(await greeting(ports['smtp-opaque'] ?? 0), /^220 /);
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    assert.doesNotMatch(metrics, new RegExp(`outrigger_protocol_detect_timeouts_total\\{[^}]*port="${ports['smtp-opaque']}"`));
  });

  test('on a detecting port the server-first peer greets after the detect timeout, which is counted', async () => {
    assert.match(await greeting(ports['smtp-detect'] ?? 0), /^220 /);
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      return text.includes(`outrigger_protocol_detect_timeouts_total{direction="inbound",port="${ports['smtp-detect']}"} 1`) ? text : undefined;
    }, 'the detect timeout to be counted');
    assert.ok(metrics);
  });
});
