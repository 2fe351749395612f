// Http1Connection on real loopback sockets with short timers: the keep-alive timeout closes an idle
// connection quietly, a request begun but incomplete when it fires gets the header-timeout
// handler, the first request's headers are bounded by the header timeout, and responses carry
// the keep-alive and Date headers the proxy promises (docs/reference/config.md), a parser
// reused after a connection closed mid-request starts clean, and pipelining stops reading at 4 waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Http1Connection, type Http1Handlers, type Http1Response } from './http1-server.ts';

const OPTIONS = { maxHeaderBytes: 8192, headersTimeoutMs: 300, keepAliveMs: 400, now: () => performance.now() };

/** A server whose connections are Http1Connections answering `ok`; `events` records the handler calls. */
async function serve(t: { after(fn: () => void): void }) {
  const events: string[] = [];
  const heads = new Map<string, readonly string[]>();
  const handlers: Http1Handlers = {
    request(_conn, req, res) {
      events.push(`request ${req.url}`);
      heads.set(req.url, req.rawHeaders);
      res.writeHead(200, undefined, ['content-length', '2', ...(req.url === '/dated' ? ['Date', 'Thu, 01 Jan 2026 00:00:00 GMT'] : [])]);
      res.end('ok');
    },
    upgrade: () => events.push('upgrade'),
    parseError: () => {
      events.push('parse error');
      return { status: 400, kind: 'bad_request' };
    },
    abandoned: (_conn, req) => events.push(`abandoned ${req.url}`),
    headerTimeout(conn) {
      events.push('header timeout');
      conn.socket.end('HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    },
  };
  const server = createServer({ allowHalfOpen: true }, (socket) => new Http1Connection(socket, OPTIONS, handlers).start());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  return { events, heads, port };
}

/** Connects, runs `script` on the socket, and resolves with everything read and when the server closed it. */
function client(port: number, script: (socket: Socket) => void) {
  return new Promise<{ reply: string; closedAfterMs: number }>((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => script(socket));
    let reply = '';
    socket.on('data', (d) => (reply += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve({ reply, closedAfterMs: Date.now() - started }));
    socket.setTimeout(5000, () => socket.destroy(new Error(`still open after 5 s: ${JSON.stringify(reply)}`)));
  });
}

test('a kept-alive connection left idle is closed quietly at the keep-alive timeout', async (t) => {
  const { events, port } = await serve(t);
  const r = await client(port, (s) => s.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.match(r.reply, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(r.reply, /\r\nconnection: keep-alive\r\nkeep-alive: timeout=0\r\n/); // 400 ms rounds down to 0 s
  assert.doesNotMatch(r.reply, /408/);
  assert.ok(r.closedAfterMs >= 350 && r.closedAfterMs < 3000, `closed after ${r.closedAfterMs} ms`);
  assert.deepEqual(events, ['request /a']);
});

test('a request begun after a response but incomplete at the keep-alive timeout gets the header timeout', async (t) => {
  const { events, port } = await serve(t);
  const r = await client(port, (s) => {
    s.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\n');
    setTimeout(() => s.write('GET /b HTTP/1.1\r\nHost: x\r\n'), 100); // never finished
  });
  assert.match(r.reply, /HTTP\/1\.1 408 Request Timeout/);
  assert.deepEqual(events, ['request /a', 'header timeout']);
});

test("the first request's headers must be complete within the header timeout", async (t) => {
  const { events, port } = await serve(t);
  const r = await client(port, (s) => s.write('GET /slow HTTP/1.1\r\nHost: x\r\n'));
  assert.match(r.reply, /^HTTP\/1\.1 408 /);
  assert.ok(r.closedAfterMs >= 250 && r.closedAfterMs < 3000, `closed after ${r.closedAfterMs} ms`);
  assert.deepEqual(events, ['header timeout']);
});

test('a Date header is added when the response has none, and kept when it has one', async (t) => {
  const { port } = await serve(t);
  const r = await client(port, (s) => s.end('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /dated HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  const [first = '', second = ''] = r.reply.split(/(?=HTTP\/1\.1 )/);
  assert.match(first, /\r\ndate: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/);
  // The upstream's own, in its own case ('Date'), counts: no second one is added.
  assert.equal(second.match(/\r\ndate: /gi)?.length, 1);
  assert.match(second, /\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n/);
  assert.match(second, /\r\nconnection: close\r\n/);
});

test('a parser left mid-request by a closed connection starts clean on the next connection that gets it', async (t) => {
  const { events, heads, port } = await serve(t);
  const settle = () => new Promise((r) => setTimeout(r, 50)); // parsers go back to the free list on the next turn
  // Closed mid-headers, then mid-body: each connection's parser is freed in that state and reused.
  await client(port, (s) => s.end('GET /partial HTTP/1.1\r\nX-Leak: 1\r\nHost: x'));
  await settle();
  await client(port, (s) => s.end('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab'));
  await settle();
  const r = await client(port, (s) => s.write('GET /clean HTTP/1.1\r\nHost: y\r\nConnection: close\r\n\r\n'));
  assert.match(r.reply, /^HTTP\/1\.1 200 OK\r\n/);
  assert.deepEqual(events, ['request /upload', 'request /clean']);
  assert.deepEqual(heads.get('/clean'), ['Host', 'y', 'Connection', 'close']);
});

test('reading stops once 4 pipelined requests wait behind the one in progress; none is lost', async (t) => {
  let held: Http1Response | null = null;
  let serverSocket: Socket | null = null;
  const handlers: Http1Handlers = {
    request(_conn, req, res) {
      res.writeHead(200, undefined, ['content-length', String(req.url.length)]);
      if (req.url === '/hold') held = res;
      else res.end(req.url);
    },
    upgrade: () => {},
    parseError: () => ({ status: 400, kind: 'bad_request' }),
    headerTimeout: () => {},
    abandoned: () => {},
  };
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    serverSocket = socket;
    new Http1Connection(socket, OPTIONS, handlers).start();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const first = 'GET /hold HTTP/1.1\r\nHost: x\r\n\r\n';
  const next = (i: number) => `GET /q${i} HTTP/1.1\r\nHost: x\r\n\r\n`; // all the same length
  const pause = () => new Promise((r) => setTimeout(r, 40)); // one read per request
  let readWhileHeld: number | undefined;
  const reply = new Promise<string>((resolve, reject) => {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1', async () => {
      socket.write(first);
      for (let i = 0; i < 10; i++) {
        await pause();
        socket.write(next(i));
      }
      await pause();
      readWhileHeld = (serverSocket as Socket | null)?.bytesRead;
      socket.end();
      (held as Http1Response | null)?.end('/hold');
    });
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error(`still open after 5 s: ${JSON.stringify(out)}`)));
  });
  const text = await reply;
  // The held request and 4 waiting ones were read; the other 6 stayed in the kernel until then.
  assert.equal(readWhileHeld, first.length + 4 * next(0).length);
  const answers = [...text.matchAll(/\r\n\r\n(\/(?:hold|q\d))/g)].map((m) => m[1]);
  assert.deepEqual(answers, ['/hold', ...Array.from({ length: 10 }, (_, i) => `/q${i}`)]);
});
