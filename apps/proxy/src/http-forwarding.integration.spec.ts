// What the HTTP forwarder (undici's pool, forward-http.ts) passes to the app and back, through the
// real proxy process with curl and raw sockets as clients: request bodies (sized, chunked, behind
// Expect: 100-continue) arrive whole and are counted, hop-by-hop headers stop at the proxy in both
// directions, repeated response headers and the reason phrase survive, HEAD has no body, an
// HTTP/1.0 client gets an unchunked body, and an app that stalls mid-body is cut off.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, run, start, waitFor, type Started } from '@outrigger/testing';

const MAIN = resolve(import.meta.dirname, 'main.ts');

describe('HTTP forwarding', () => {
  let dir: string;
  let proxy: Started;
  let base = '';
  let proxyPort = 0;
  let deadPort = 0;
  const app = createHttpServer((req, res) => {
    if (req.url === '/echo') {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, headers: req.headers, bytes, sha256: hash.digest('hex') }));
      });
      return;
    }
    if (req.url === '/cookies') {
      res.writeHead(299, 'Custom Reason', [
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
        ['connection', 'x-app-hop'],
        ['x-app-hop', 'secret'],
        ['keep-alive', 'timeout=5'],
        ['content-length', '2'],
      ]);
      return void res.end('ok');
    }
    if (req.url === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' }); // no length: chunked to HTTP/1.1
      res.write('first,');
      return void setTimeout(() => res.end('second'), 20);
    }
    if (req.url === '/head') {
      res.writeHead(200, { 'content-length': '5' });
      return void res.end(req.method === 'HEAD' ? undefined : 'hello');
    }
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 400);
    if (req.url === '/stall-mid-body') {
      res.writeHead(200, { 'content-length': '100' });
      return void res.write('partial'); // and never the rest
    }
    res.end('ok');
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outrigger-http-fwd-'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    // A port nothing listens on (below the ephemeral range: no other test's listen(0) gets it).
    const refused = await freePort();
    writeFileSync(
      join(dir, 'proxy.yaml'),
      `admin: { address: 127.0.0.1, port: 0 }
listeners:
  - { name: app, address: 127.0.0.1, port: 0, tls: none, upstream: "127.0.0.1:${(app.address() as AddressInfo).port}" }
  - { name: dead, address: 127.0.0.1, port: 0, tls: none, upstream: "127.0.0.1:${refused}" }
accessLog: { stdout: true }
timeouts: { upstreamResponse: 700ms }
`,
    );
    proxy = start(process.execPath, [MAIN, '--config', join(dir, 'proxy.yaml')]);
    const ready = JSON.parse(await proxy.waitForLine(/"msg":"ready"/)) as { listeners: Array<{ name: string; port: number }> };
    proxyPort = ready.listeners[0]?.port ?? 0;
    deadPort = ready.listeners[1]?.port ?? 0;
    base = `http://127.0.0.1:${proxyPort}`;
  });

  after(async () => {
    await proxy?.stop();
    app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const logLine = (path: string, id: string) =>
    waitFor(() => {
      const line = proxy.stdout().split('\n').find((l) => l.includes(`"path":"${path}"`) && l.includes(`"request_id":"${id}"`));
      return line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
    }, `access-log line for ${path} ${id}`);

  const curl = (...args: string[]) => run('curl', ['-sS', '--max-time', '10', ...args]);

  /** Writes `bytes` at once and collects what comes back until the proxy closes the connection. */
  const rawExchange = (port: number, bytes: string | Buffer) =>
    new Promise<string>((resolveReply, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
      let out = '';
      socket.on('data', (d) => (out += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolveReply(out));
      socket.setTimeout(5000, () => socket.destroy(new Error(`no close within 5 s; got ${JSON.stringify(out)}`)));
    });
  // Status lines, wherever they start (a body without a final newline runs into the next one).
  const statusLines = (reply: string) => reply.match(/HTTP\/1\.1 \d{3} [^\r]*/g) ?? [];

  test('a sized upload arrives whole and bytes_received counts it', async () => {
    const body = Buffer.alloc(300 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 251;
    const file = join(dir, 'upload.bin');
    writeFileSync(file, body);
    const r = await curl('-H', 'x-request-id: sized', '--data-binary', `@${file}`, `${base}/echo`);
    const seen = JSON.parse(r.stdout) as { method: string; headers: Record<string, string>; bytes: number; sha256: string };
    assert.equal(seen.method, 'POST');
    assert.equal(seen.bytes, body.length);
    assert.equal(seen.sha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(seen.headers['content-length'], String(body.length));
    assert.equal(seen.headers.expect, undefined, 'node answered the 100-continue; the app is not asked again');
    const line = await logLine('/echo', 'sized');
    assert.equal(line.bytes_received, body.length);
    assert.equal(line.response_code, 200);
  });

  test('a chunked upload still arriving is streamed to the app chunked, and counted', async () => {
    // The second chunk is sent after the request has reached the app: the proxy cannot know the length.
    const reply = await new Promise<string>((resolveReply, reject) => {
      const socket = connect(proxyPort, '127.0.0.1', () => {
        socket.write('POST /echo HTTP/1.1\r\nHost: a\r\nx-request-id: chunked\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n8\r\nstreamed\r\n');
        setTimeout(() => socket.write('5\r\n body\r\n0\r\n\r\n'), 150);
      });
      let out = '';
      socket.on('data', (d) => (out += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolveReply(out));
      socket.setTimeout(5000, () => socket.destroy(new Error('no close within 5 s')));
    });
    const seen = JSON.parse(reply.slice(reply.indexOf('{'), reply.lastIndexOf('}') + 1)) as { headers: Record<string, string>; bytes: number };
    assert.equal(seen.bytes, 'streamed body'.length);
    assert.equal(seen.headers['transfer-encoding'], 'chunked', JSON.stringify(seen.headers));
    assert.equal(seen.headers['content-length'], undefined);
    assert.equal((await logLine('/echo', 'chunked')).bytes_received, seen.bytes);
  });

  test("the client's hop-by-hop headers stop at the proxy; end-to-end ones and Host go on", async () => {
    const r = await curl('-H', 'x-request-id: hop', '-H', 'Connection: keep-alive, x-client-hop', '-H', 'x-client-hop: secret', '-H', 'Keep-Alive: timeout=9', '-H', 'TE: trailers', '-H', 'x-end-to-end: kept', '-H', 'Host: legacy.example', `${base}/echo`);
    const seen = JSON.parse(r.stdout) as { headers: Record<string, string> };
    for (const name of ['x-client-hop', 'keep-alive', 'te']) assert.equal(seen.headers[name], undefined, name);
    assert.notEqual(seen.headers.connection, 'keep-alive, x-client-hop');
    assert.equal(seen.headers['x-end-to-end'], 'kept');
    assert.equal(seen.headers.host, 'legacy.example');
    assert.equal(seen.headers['x-request-id'], 'hop');
  });

  test("the app's hop-by-hop headers stop too; repeated headers and the reason phrase come back", async () => {
    const r = await curl('-i', `${base}/cookies`);
    const [head = '', body] = r.stdout.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 299 Custom Reason\r\n/);
    assert.deepEqual(head.split('\r\n').filter((l) => /^set-cookie:/i.test(l)), ['set-cookie: a=1', 'set-cookie: b=2']);
    assert.doesNotMatch(head, /x-app-hop/i);
    assert.doesNotMatch(head, /keep-alive: timeout=5/i);
    assert.equal(body, 'ok');
  });

  test('HEAD gets the headers and no body; the connection stays usable', async () => {
    const r = await curl('-I', `${base}/head`, '--next', `${base}/head`);
    assert.match(r.stdout, /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 5\r\n/i);
    assert.ok(r.stdout.endsWith('hello'), r.stdout);
  });

  test('an HTTP/1.0 client gets a chunked response unchunked, ended by the close', async () => {
    const reply = await new Promise<string>((resolveReply, reject) => {
      const socket = connect(proxyPort, '127.0.0.1', () => socket.write('GET /chunked HTTP/1.0\r\nHost: a\r\n\r\n'));
      let out = '';
      socket.on('data', (d) => (out += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolveReply(out));
      socket.setTimeout(5000, () => socket.destroy(new Error('no close within 5 s')));
    });
    const [head = '', body] = reply.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.[01] 200 /);
    assert.doesNotMatch(head, /transfer-encoding/i);
    assert.equal(body, 'first,second');
  });

  test('an app that stalls mid-body is cut off after the response timeout, logged as upstream_timeout', async () => {
    const r = await curl('-H', 'x-request-id: stall', `${base}/stall-mid-body`);
    assert.notEqual(r.code, 0, 'the client sees a truncated response');
    assert.equal(r.stdout, 'partial');
    const line = await logLine('/stall-mid-body', 'stall');
    assert.equal(line.response_code, 200);
    assert.equal(line.error, 'upstream_timeout');
    assert.match(String(line.response_flags), /UT/);
  });

  test('pipelined requests are answered in order, a body between them included', async () => {
    const reply = await rawExchange(
      proxyPort,
      'GET /head HTTP/1.1\r\nHost: a\r\n\r\n' +
        'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
        'GET /cookies HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    assert.deepEqual(statusLines(reply), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 299 Custom Reason']);
    assert.match(reply, /\r\n\r\nhelloHTTP\/1\.1 200 OK\r\n/);
    assert.match(reply, /"bytes":5,/);
    assert.ok(reply.endsWith('\r\n\r\nok'), reply);
  });

  test('a request pipelined behind one in progress still gets its access-log line when the client leaves first', async () => {
    const socket = connect(proxyPort, '127.0.0.1', () =>
      socket.write('GET /slow HTTP/1.1\r\nHost: a\r\nx-request-id: slow-1\r\n\r\nGET /head HTTP/1.1\r\nHost: a\r\nx-request-id: queued-1\r\n\r\n'),
    );
    socket.on('error', () => {});
    await new Promise((r) => setTimeout(r, 150)); // both parsed, the first waiting for the app
    socket.resetAndDestroy(); // gone for good (a FIN alone is a half-close: both would still be answered)
    const inProgress = await logLine('/slow', 'slow-1');
    assert.equal(inProgress.error, 'downstream_aborted');
    const queued = await logLine('/head', 'queued-1');
    assert.equal(queued.error, 'downstream_aborted');
    assert.equal(queued.response_code, 0);
    assert.notEqual(queued.response_flags, '-');
  });

  test('more header lines than the parser hands over at once (32) all reach the app, in order', async () => {
    const headers = Array.from({ length: 45 }, (_, i) => `x-h${i}: v${i}\r\n`).join('');
    const reply = await rawExchange(proxyPort, `POST /echo HTTP/1.1\r\nHost: a\r\n${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    const echoed = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string> };
    for (let i = 0; i < 45; i++) assert.equal(echoed.headers[`x-h${i}`], `v${i}`);
    assert.equal(echoed.headers.host, 'a');
  });

  test('an HTTP/1.0 client asking for keep-alive keeps its connection when the length is known', async () => {
    const reply = await rawExchange(proxyPort, 'GET /head HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /head HTTP/1.0\r\n\r\n');
    const [first = '', second = ''] = reply.split(/(?=HTTP\/1\.1 )/);
    assert.match(first, /^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: keep-alive\r\n[\s\S]*\r\n\r\nhello$/i);
    assert.match(second, /^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close\r\n\r\nhello$/i);
  });

  test('an Expect other than 100-continue gets 417 and the connection closes', async () => {
    const reply = await rawExchange(proxyPort, 'GET /head HTTP/1.1\r\nHost: a\r\nExpect: something-else\r\n\r\n');
    assert.deepEqual(statusLines(reply), ['HTTP/1.1 417 Expectation Failed']);
    assert.match(reply, /x-outrigger-error: bad_request/i);
    const line = await waitFor(() => proxy.stdout().split('\n').find((l) => l.includes('"response_code":417')), 'the 417 in the access log');
    const fields = JSON.parse(line) as Record<string, unknown>;
    assert.equal(fields.error, 'bad_request');
    // The proxy's own body counts as the response body it is.
    const chunked = reply.slice(reply.indexOf('\r\n\r\n') + 4); // one chunk, then the last
    const body = /^[0-9a-f]+\r\n([\s\S]*)\r\n0\r\n\r\n$/i.exec(chunked)?.[1] ?? '';
    assert.match(body, /^outrigger: bad_request: unsupported Expect: something-else\n$/);
    assert.equal(fields.bytes_sent, Buffer.byteLength(body));
  });

  test('an error answered before the request body was read: the rest of the body is skipped, the next request served', async () => {
    const body = 'x'.repeat(200_000);
    const reply = await rawExchange(
      deadPort,
      `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
    );
    assert.deepEqual(statusLines(reply), ['HTTP/1.1 502 Bad Gateway', 'HTTP/1.1 502 Bad Gateway']);
    assert.equal(reply.match(/x-outrigger-error: upstream_connect_refused/gi)?.length, 2);
  });

  test('a request target that is neither a path nor an absolute URL (OPTIONS *) gets 400, not forwarded', async () => {
    const reply = await rawExchange(proxyPort, 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.deepEqual(statusLines(reply), ['HTTP/1.1 400 Bad Request']);
    assert.match(reply, /x-outrigger-error: bad_request/i);
    assert.match(reply, /must be a path or an absolute http\(s\) URL: "\*"/);
  });

  test('two Host headers are a bad request (400), not forwarded', async () => {
    const reply = await rawExchange(proxyPort, 'GET /head HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
    assert.deepEqual(statusLines(reply), ['HTTP/1.1 400 Bad Request']);
    assert.match(reply, /x-outrigger-error: bad_request/i);
  });
});
