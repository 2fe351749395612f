import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { waitFor, withTempDir, writeCertFixture } from '@outrigger/testing';
import { SourceError } from './source-error.ts';
import { watchUrl, type PollResult } from './watch-url.ts';

/** A config endpoint: a body with an ETag (or only Last-Modified), answering 304 to a matching validator. */
class ConfigServer {
  body = 'greeting: v1\n';
  version = 1;
  etags = true;
  mode: 'serve' | 'fail' | 'hang' = 'serve';
  readonly requests: IncomingHttpHeaders[] = [];
  sent = { full: 0, notModified: 0 };
  server: Server;
  port = 0;

  readonly scheme: string;

  constructor(server?: Server, scheme = 'http') {
    this.server = server ?? createHttpServer();
    this.scheme = scheme;
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.answer(req, res));
  }
  update(body: string): void {
    this.body = body;
    this.version++;
  }
  private answer(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push(req.headers);
    if (this.mode === 'hang') return;
    if (this.mode === 'fail') return void res.writeHead(503).end('down for maintenance');
    const etag = `"v${this.version}"`;
    const lastModified = new Date(Date.UTC(2025, 0, 1, 0, 0, this.version)).toUTCString();
    const fresh = this.etags ? req.headers['if-none-match'] === etag : req.headers['if-modified-since'] === lastModified;
    const validators = this.etags ? { etag, 'last-modified': lastModified } : { 'last-modified': lastModified };
    if (fresh) {
      this.sent.notModified++;
      return void res.writeHead(304, validators).end();
    }
    this.sent.full++;
    res.writeHead(200, { ...validators, 'content-type': 'application/yaml', 'content-length': Buffer.byteLength(this.body) }).end(this.body);
  }
  async listen(port = this.port): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `${this.scheme}://127.0.0.1:${this.port}/app.yaml`;
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function recorder() {
  const seen = { bodies: [] as string[], errors: [] as Error[], polls: [] as PollResult[], errorTimes: [] as number[] };
  return {
    seen,
    onChange: (s: { files: ReadonlyMap<string, Buffer> }) => void seen.bodies.push(String(s.files.get('app.yaml'))),
    onError: (e: Error) => {
      seen.errors.push(e);
      seen.errorTimes.push(performance.now());
    },
    onPoll: (r: PollResult) => void seen.polls.push(r),
  };
}

test('ETag: polls after the first are conditional, a 304 delivers nothing, a change propagates', async () => {
  const server = new ConfigServer();
  const url = await server.listen();
  const { seen, ...callbacks } = recorder();
  const watch = watchUrl(url, { pollMs: 20, ...callbacks });
  try {
    await waitFor(() => seen.polls.filter((p) => p === 'not_modified').length >= 5, 'five 304s');
    assert.deepEqual(seen.bodies, ['greeting: v1\n']);
    assert.equal(server.sent.full, 1);
    assert.equal(server.requests[0]?.['if-none-match'], undefined);
    assert.ok(server.requests.slice(1).every((h) => h['if-none-match'] === '"v1"'));
    server.update('greeting: v2\n');
    await waitFor(() => seen.bodies.length === 2, 'the change');
    assert.equal(seen.bodies[1], 'greeting: v2\n');
    assert.deepEqual(seen.errors, []);
  } finally {
    await watch.close();
    await server.close();
  }
});

test('Last-Modified alone: If-Modified-Since is sent and honoured', async () => {
  const server = new ConfigServer();
  server.etags = false;
  const url = await server.listen();
  const { seen, ...callbacks } = recorder();
  const watch = watchUrl(url, { pollMs: 20, ...callbacks });
  try {
    await waitFor(() => server.sent.notModified >= 2, 'two 304s');
    assert.equal(server.requests[1]?.['if-modified-since'], 'Wed, 01 Jan 2025 00:00:01 GMT');
    assert.equal(seen.bodies.length, 1);
  } finally {
    await watch.close();
    await server.close();
  }
});

test('a server down for a while is survived with growing backoff; the change made meanwhile arrives', async () => {
  const server = new ConfigServer();
  const url = await server.listen();
  const { seen, ...callbacks } = recorder();
  const watch = watchUrl(url, { pollMs: 20, backoff: { initialMs: 10, maxMs: 160, jitter: 0 }, ...callbacks });
  try {
    await waitFor(() => seen.bodies.length === 1, 'the first body');
    await server.close();
    await waitFor(() => seen.errors.length >= 6, 'six failed polls', 5000);
    assert.ok(seen.errors.every((e) => e instanceof SourceError && e.kind === 'unreachable'), String(seen.errors[0]));
    const gaps = seen.errorTimes.slice(1).map((t, i) => t - (seen.errorTimes[i] as number));
    // 10, 20, 40, 80, 160 ms apart (jitter 0), plus the time each failed attempt takes.
    assert.ok((gaps[4] as number) > 2 * (gaps[0] as number) && (gaps[4] as number) >= 150, `the retries back off: ${gaps.map(Math.round).join(', ')} ms`);
    server.update('greeting: after the outage\n');
    await server.listen();
    await waitFor(() => seen.bodies.length === 2, 'the change after the outage', 5000);
    assert.equal(seen.bodies[1], 'greeting: after the outage\n');
  } finally {
    await watch.close();
    await server.close().catch(() => {});
  }
});

test('failures have kinds: a 503 is http_status, no answer is timeout, an oversized body too_large', async () => {
  const server = new ConfigServer();
  const url = await server.listen();
  const kinds: string[] = [];
  const watchOnce = async (mode: ConfigServer['mode'], extra: { maxBytes?: number } = {}) => {
    server.mode = mode;
    const before = kinds.length;
    const watch = watchUrl(url, { timeoutMs: 100, backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 }, onChange: () => {}, onError: (e) => void kinds.push((e as SourceError).kind), ...extra });
    await waitFor(() => kinds.length > before, `an error in mode ${mode}`);
    await watch.close();
  };
  try {
    await watchOnce('fail');
    await watchOnce('hang');
    server.update('x'.repeat(5000));
    await watchOnce('serve', { maxBytes: 1000 });
    assert.deepEqual(kinds, ['http_status', 'timeout', 'too_large']);
  } finally {
    await server.close();
  }
});

test('after onChange fails, the next poll asks for the full body again instead of getting a 304', async () => {
  const server = new ConfigServer();
  const url = await server.listen();
  let calls = 0;
  const watch = watchUrl(url, {
    pollMs: 20,
    backoff: { initialMs: 20, maxMs: 20, jitter: 0 },
    onChange: () => {
      if (++calls === 1) throw new Error('could not apply');
    },
    onError: () => {},
  });
  try {
    await waitFor(() => calls === 2, 'the retry');
    assert.equal(server.sent.full, 2);
    assert.equal(server.requests[1]?.['if-none-match'], undefined);
  } finally {
    await watch.close();
    await server.close();
  }
});

test('HTTPS with a private CA and a client certificate (mutual TLS); an untrusted server is a tls error', () =>
  withTempDir(async (dir) => {
    const certs = writeCertFixture(dir);
    const https = createHttpsServer({
      cert: readFileSync(certs.server.cert),
      key: readFileSync(certs.server.key),
      ca: readFileSync(certs.caCert),
      requestCert: true,
      rejectUnauthorized: true,
    });
    const server = new ConfigServer(https, 'https');
    const url = await server.listen();
    assert.match(url, /^https:/);
    try {
      const { seen, ...callbacks } = recorder();
      const watch = watchUrl(url, { tls: { caFile: certs.caCert, certFile: certs.client.cert, keyFile: certs.client.key }, ...callbacks });
      await waitFor(() => seen.bodies.length === 1 || seen.errors.length > 0, 'the body over mTLS');
      await watch.close();
      assert.deepEqual(seen.errors, []);

      const untrusted = recorder();
      const noCa = watchUrl(url, { tls: { certFile: certs.client.cert, keyFile: certs.client.key }, ...untrusted });
      await waitFor(() => untrusted.seen.errors.length > 0, 'the refusal');
      await noCa.close();
      assert.equal((untrusted.seen.errors[0] as SourceError).kind, 'tls', String(untrusted.seen.errors[0]));
    } finally {
      await server.close();
    }
  }));
