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
import { run, start, waitFor, type Started } from '@outrigger/testing';

const MAIN = resolve(import.meta.dirname, 'main.ts');

describe('HTTP forwarding', () => {
  let dir: string;
  let proxy: Started;
  let base = '';
  let proxyPort = 0;
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
    if (req.url === '/stall-mid-body') {
      res.writeHead(200, { 'content-length': '100' });
      return void res.write('partial'); // and never the rest
    }
    res.end('ok');
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outrigger-http-fwd-'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    writeFileSync(
      join(dir, 'proxy.yaml'),
      `admin: { address: 127.0.0.1, port: 0 }
listeners:
  - { name: app, address: 127.0.0.1, port: 0, tls: none, upstream: "127.0.0.1:${(app.address() as AddressInfo).port}" }
accessLog: { stdout: true }
timeouts: { upstreamResponse: 700ms }
`,
    );
    proxy = start(process.execPath, [MAIN, '--config', join(dir, 'proxy.yaml')]);
    const ready = JSON.parse(await proxy.waitForLine(/"msg":"ready"/)) as { listeners: Array<{ name: string; port: number }> };
    proxyPort = ready.listeners[0]?.port ?? 0;
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
});
