// The upstream pool against a scripted HTTP/1.1 server on loopback (raw bytes, so each answer is
// exactly what a misbehaving or unusual app would send): connection reuse and when it stops, the
// app's Keep-Alive hint, 1xx skipped, HEAD, close-delimited bodies, and each failure's kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { classifyError, OutriggerError } from '@outrigger/telemetry';
import { createUpstreamPool, MAX_IDLE_CONNECTIONS, MAX_RESPONSE_HEADER_BYTES, type UpstreamPool, type UpstreamRequest } from './upstream-pool.ts';

interface Answer {
  status: number;
  reason: string;
  headers: string[];
  body: string;
  peer: string | null;
}

interface Scripted {
  pool: UpstreamPool;
  /** Connections the server accepted so far. */
  connections: () => number;
  /** Each request's bytes as the server read them, by connection number. */
  seen: string[][];
}

/**
 * A server that answers each request (a read that ends a head) with `reply(request, connection
 * number, request number on it)`; a reply of null says nothing, 'close' closes the connection.
 */
async function scripted(t: { after: (fn: () => void) => void }, reply: (head: string, conn: number, n: number, socket: Socket) => string | null | 'close', responseTimeoutMs = 5_000): Promise<Scripted> {
  const seen: string[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const conn = seen.length;
    seen.push([]);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      // One request per head (the scripted requests carry their body, if any, in the same read or right after).
      while (buffered.includes('\r\n\r\n')) {
        const end = buffered.indexOf('\r\n\r\n') + 4;
        const length = /content-length: (\d+)/i.exec(buffered.slice(0, end));
        const total = end + (length ? Number(length[1]) : 0);
        if (buffered.length < total) return;
        const head = buffered.slice(0, total);
        buffered = buffered.slice(total);
        seen[conn]!.push(head);
        const out = reply(head, conn, seen[conn]!.length - 1, socket);
        if (out === 'close') socket.destroy();
        else if (out !== null) socket.write(out, 'latin1');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pool = createUpstreamPool({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, connectTimeoutMs: 2_000, responseTimeoutMs });
  t.after(() => {
    pool.destroy();
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { pool, connections: () => seen.length, seen };
}

const get = (path: string, method = 'GET'): UpstreamRequest => ({ method, head: `${method} ${path} HTTP/1.1\r\nhost: app\r\nconnection: keep-alive\r\n\r\n`, body: null, bodyLength: null });

/** One request through the pool: its answer, or the kind of its failure. */
function send(pool: UpstreamPool, request: UpstreamRequest): Promise<Answer | { kind: string; message: string }> {
  return new Promise((resolve) => {
    let answer: Answer | null = null;
    pool.dispatch(request, {
      onResponseStart: (status, reason, headers, peer) => void (answer = { status, reason, headers, body: '', peer }),
      onResponseData: (chunk) => {
        answer!.body += chunk.toString('latin1');
        return true;
      },
      onResponseEnd: () => resolve(answer!),
      onResponseError: (err) => resolve({ kind: classifyError(err, 'upstream'), message: err.message }),
      onBodySent: () => {},
    });
  });
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
const nextTurn = () => new Promise((r) => setImmediate(r));

test('requests one after another share one connection; raw headers come back in their case and order, duplicates kept', async (t) => {
  const s = await scripted(t, (_, conn, n) => `HTTP/1.1 201 Made Here\r\nX-Mixed-Case: a\r\nSet-Cookie: one\r\nSet-Cookie: two\r\nContent-Length: 5\r\n\r\n${conn}-${n}xx`);
  const first = (await send(s.pool, get('/a'))) as Answer;
  await nextTurn();
  const second = (await send(s.pool, get('/b'))) as Answer;
  assert.equal(s.connections(), 1);
  assert.equal(first.body, '0-0xx');
  assert.equal(second.body, '0-1xx');
  assert.equal(first.status, 201);
  assert.equal(first.reason, 'Made Here');
  assert.deepEqual(first.headers, ['X-Mixed-Case', 'a', 'Set-Cookie', 'one', 'Set-Cookie', 'two', 'Content-Length', '5']);
  assert.equal(first.peer, null);
});

test('requests in flight at once each get a connection of their own', async (t) => {
  const s = await scripted(t, () => ok('hi'));
  const answers = await Promise.all([send(s.pool, get('/1')), send(s.pool, get('/2')), send(s.pool, get('/3'))]);
  assert.deepEqual(answers.map((a) => (a as Answer).body), ['hi', 'hi', 'hi']);
  assert.equal(s.connections(), 3);
});

test(`at most ${MAX_IDLE_CONNECTIONS} idle connections are kept; past it the one idle longest is closed`, async (t) => {
  let closed = 0;
  const s = await scripted(t, (_, __, ___, socket) => {
    socket.once('close', () => closed++);
    return ok('x');
  });
  const n = MAX_IDLE_CONNECTIONS + 6;
  await Promise.all(Array.from({ length: n }, (_, i) => send(s.pool, get(`/${i}`))));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(s.connections(), n);
  assert.equal(closed, 6);
});

test("the app's Connection: close, a Keep-Alive timeout of 1 s or less, and HTTP/1.0 without keep-alive each stop reuse", async (t) => {
  for (const extra of ['Connection: close\r\n', 'Keep-Alive: timeout=1\r\n']) {
    const s = await scripted(t, () => ok('x', extra));
    await send(s.pool, get('/a'));
    await nextTurn();
    await send(s.pool, get('/b'));
    assert.equal(s.connections(), 2, extra);
  }
  const s = await scripted(t, () => 'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx');
  await send(s.pool, get('/a'));
  await nextTurn();
  await send(s.pool, get('/b'));
  assert.equal(s.connections(), 2, 'HTTP/1.0');
});

test('an idle connection is closed after the Keep-Alive hint less 1 s', async (t) => {
  let closedAt = 0;
  const s = await scripted(t, (_, __, ___, socket) => {
    socket.once('end', () => (closedAt = Date.now()));
    return ok('x', 'Keep-Alive: timeout=2\r\n');
  });
  const start = Date.now();
  await send(s.pool, get('/a'));
  await new Promise((r) => setTimeout(r, 1_600));
  assert.ok(closedAt > 0, 'closed by the pool');
  const idleMs = closedAt - start;
  assert.ok(idleMs >= 950 && idleMs < 1_600, `closed after ${idleMs} ms`);
});

test('1xx responses are skipped; HEAD ends at the head whatever its Content-Length says', async (t) => {
  const s = await scripted(t, (head) => (head.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n' : `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${ok('done')}`));
  const answer = (await send(s.pool, get('/a'))) as Answer;
  assert.equal(answer.status, 200);
  assert.equal(answer.body, 'done');
  const head = (await send(s.pool, get('/h', 'HEAD'))) as Answer;
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  await nextTurn();
  assert.equal(((await send(s.pool, get('/again'))) as Answer).body, 'done'); // still in step
  assert.equal(s.connections(), 1);
});

test('a body delimited by the close ends with it', async (t) => {
  const s = await scripted(t, (_, __, ___, socket) => {
    socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end');
    return null;
  });
  const answer = (await send(s.pool, get('/a'))) as Answer;
  assert.equal(answer.body, 'until the end');
});

test('failures and their kinds: closed before or during the response, timeout, refused, headers too large, garbage', async (t) => {
  const closedEarly = await scripted(t, () => 'close');
  assert.equal(((await send(closedEarly.pool, get('/a'))) as { kind: string }).kind, 'upstream_reset');

  const cut = await scripted(t, (_, __, ___, socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part');
    setTimeout(() => socket.destroy(), 20);
    return null;
  });
  assert.equal(((await send(cut.pool, get('/a'))) as { kind: string }).kind, 'upstream_reset');

  const silent = await scripted(t, () => null, 300);
  const timedOut = (await send(silent.pool, get('/a'))) as { kind: string; message: string };
  assert.equal(timedOut.kind, 'upstream_timeout');
  assert.match(timedOut.message, /300 ms/);

  const big = await scripted(t, () => `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_RESPONSE_HEADER_BYTES)}\r\nContent-Length: 0\r\n\r\n`);
  assert.equal(((await send(big.pool, get('/a'))) as { kind: string }).kind, 'upstream_protocol_error');

  const switched = await scripted(t, () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n');
  assert.equal(((await send(switched.pool, get('/a'))) as { kind: string }).kind, 'upstream_protocol_error'); // never asked for

  const garbage = await scripted(t, () => 'NOT HTTP AT ALL\r\n\r\n');
  assert.equal(((await send(garbage.pool, get('/a'))) as { kind: string }).kind, 'upstream_protocol_error');

  const unused = createServer();
  await new Promise<void>((resolve) => unused.listen(0, '127.0.0.1', resolve));
  const port = (unused.address() as AddressInfo).port;
  await new Promise((resolve) => unused.close(resolve));
  const refusedPool = createUpstreamPool({ host: '127.0.0.1', port, connectTimeoutMs: 1_000, responseTimeoutMs: 1_000 });
  t.after(() => refusedPool.destroy());
  assert.equal(((await send(refusedPool, get('/a'))) as { kind: string }).kind, 'upstream_connect_refused');
});

test('a sized body goes out as is; one of unknown length goes out chunked; one that ends short is the client aborting', async (t) => {
  const s = await scripted(t, () => ok('got'));
  const sized: UpstreamRequest = { method: 'POST', head: 'POST /s HTTP/1.1\r\nhost: app\r\ncontent-length: 5\r\n\r\n', body: Readable.from([Buffer.from('ab'), Buffer.from('cde')]), bodyLength: 5 };
  assert.equal(((await send(s.pool, sized)) as Answer).body, 'got');
  assert.match(s.seen[0]![0]!, /\r\n\r\nabcde$/);

  // The scripted server reads the chunks as one more "head" (they end with a blank line) and answers then.
  const chunkedServer = await scripted(t, (head) => (head.startsWith('POST') ? null : ok('got')));
  const chunked: UpstreamRequest = { method: 'POST', head: 'POST /c HTTP/1.1\r\nhost: app\r\ntransfer-encoding: chunked\r\n\r\n', body: Readable.from([Buffer.from('abc'), Buffer.from('de')]), bodyLength: null };
  assert.equal(((await send(chunkedServer.pool, chunked)) as Answer).body, 'got');
  assert.equal(chunkedServer.seen[0]![1], '3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');

  const short = new Readable({ read() {} });
  short.push('abc');
  setTimeout(() => short.destroy(new OutriggerError('downstream_aborted', 'the client closed before the request body was complete')), 20);
  const s3 = await scripted(t, () => null);
  const failed = (await send(s3.pool, { method: 'POST', head: 'POST /x HTTP/1.1\r\nhost: app\r\ncontent-length: 10\r\n\r\n', body: short, bodyLength: 10 })) as { kind: string };
  assert.equal(failed.kind, 'downstream_aborted'); // the body's own error (the server's) is passed on

  const ended = Readable.from([Buffer.from('abc')]);
  const s4 = await scripted(t, () => null);
  const endedShort = (await send(s4.pool, { method: 'POST', head: 'POST /x HTTP/1.1\r\nhost: app\r\ncontent-length: 10\r\n\r\n', body: ended, bodyLength: 10 })) as { kind: string; message: string };
  assert.equal(endedShort.kind, 'downstream_aborted');
  assert.match(endedShort.message, /3 of 10 bytes/);
});

test('a reused connection the app closed as the request went out: an idempotent bodiless request is sent once more on a new one, others fail', async (t) => {
  // The app answers the first request on each connection, then drops the connection on the next one
  // (its idle timeout crossing our reuse).
  const s = await scripted(t, (_, __, n) => (n === 0 ? ok('fresh') : 'close'));
  assert.equal(((await send(s.pool, get('/a'))) as Answer).body, 'fresh');
  await nextTurn();
  const retried = (await send(s.pool, get('/b'))) as Answer;
  assert.equal(retried.body, 'fresh');
  assert.equal(s.connections(), 2);
  assert.deepEqual(s.seen.map((heads) => heads.map((h) => h.split(' ')[1])), [['/a', '/b'], ['/b']]);

  await nextTurn();
  const post: UpstreamRequest = { method: 'POST', head: 'POST /p HTTP/1.1\r\nhost: app\r\ncontent-length: 0\r\n\r\n', body: null, bodyLength: null };
  assert.equal(((await send(s.pool, post)) as { kind: string }).kind, 'upstream_reset'); // not idempotent: never sent twice
  assert.equal(s.connections(), 2);

  // Once only: an app that drops every reused connection twice in a row fails the request.
  const always = await scripted(t, (_, conn, n) => (conn === 0 && n === 0 ? ok('x') : 'close'));
  await send(always.pool, get('/a'));
  await nextTurn();
  assert.equal(((await send(always.pool, get('/b'))) as { kind: string }).kind, 'upstream_reset');
  assert.equal(always.connections(), 2);
});

test('abort stops a request in flight: its connection is closed and not reused', async (t) => {
  const s = await scripted(t, (_, conn) => (conn === 0 ? null : ok('x'))); // the first connection never answers
  let error: Error | null = null;
  const call = s.pool.dispatch(get('/slow'), {
    onResponseStart: () => {},
    onResponseData: () => true,
    onResponseEnd: () => {},
    onResponseError: (err) => void (error = err),
    onBodySent: () => {},
  });
  await new Promise((r) => setTimeout(r, 50));
  call.abort(new Error('gone'));
  assert.equal(error!.message, 'gone');
  assert.equal(((await send(s.pool, get('/next'))) as Answer).body, 'x');
  assert.equal(s.connections(), 2);
});
