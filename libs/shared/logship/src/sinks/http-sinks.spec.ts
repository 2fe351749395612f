// The HTTP sinks against a local server that answers as Loki, Elasticsearch or a plain NDJSON
// endpoint would: what is posted, and how statuses, bulk item errors and silence are read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogLine } from '../log-line.ts';
import type { HttpTarget } from './http-post.ts';
import { ElasticsearchSink, HttpNdjsonSink, LokiSink } from './http-sinks.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler = (_req, _body, res) => res.writeHead(204).end();
const seen: Array<{ url: string; headers: IncomingMessage['headers']; body: string }> = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    seen.push({ url: req.url ?? '', headers: req.headers, body });
    handler(req, body, res);
  });
});
let base = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const target = (path: string, more: Partial<HttpTarget> = {}): HttpTarget => ({ url: new URL(path, base), headers: { authorization: 'Bearer t' }, timeoutMs: 2000, maxSockets: 2, ...more });
const A = '{"time":"2025-01-02T03:04:05.678Z","direction":"inbound","response_code":200}';
const line = (text: string): LogLine => ({ text, bytes: text.length });

test('loki: posts JSON to the push URL with the configured headers; 204 is ok', async () => {
  seen.length = 0;
  handler = (_req, _body, res) => res.writeHead(204).end();
  const sink = new LokiSink(target('/loki/api/v1/push'), { labels: { job: 'outrigger' }, labelFields: ['direction'] });
  assert.deepEqual(await sink.send({ seq: 0, lines: [line(A)] }), { kind: 'ok' });
  await sink.close();
  assert.equal(seen[0]?.url, '/loki/api/v1/push');
  assert.equal(seen[0]?.headers['content-type'], 'application/json');
  assert.equal(seen[0]?.headers.authorization, 'Bearer t');
  assert.deepEqual(JSON.parse(seen[0]?.body ?? '').streams[0].stream, { job: 'outrigger', direction: 'inbound' });
});

test('loki: 400 (entry too old) is a reject with the server text; 429 with Retry-After a retry', async () => {
  const sink = new LokiSink(target('/loki/api/v1/push'), { labels: {}, labelFields: [] });
  handler = (_req, _body, res) => res.writeHead(400).end('entry for stream has timestamp too old');
  assert.deepEqual(await sink.send({ seq: 0, lines: [line(A)] }), { kind: 'reject', reason: 'http_status', detail: 'HTTP 400: entry for stream has timestamp too old' });
  handler = (_req, _body, res) => res.writeHead(429, { 'retry-after': '3' }).end();
  const r = await sink.send({ seq: 0, lines: [line(A)] });
  assert.deepEqual(r, { kind: 'retry', reason: 'http_429', detail: 'HTTP 429', retryAfterMs: 3000 });
  await sink.close();
});

test('elasticsearch: NDJSON to <base>/_bulk with a filter; per-item errors come back as partial', async () => {
  seen.length = 0;
  handler = (_req, body, res) => {
    const n = body.trim().split('\n').length / 2;
    const items = Array.from({ length: n }, (_, i) => ({ create: { status: [201, 429, 400][i % 3], ...(i % 3 === 2 ? { error: { type: 'mapper_parsing_exception', reason: 'bad' } } : {}) } }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: true, items }));
  };
  const sink = new ElasticsearchSink(target('/es'), { index: 'outrigger-access', action: 'create', timestampField: '@timestamp' });
  const r = await sink.send({ seq: 0, lines: [line(A), line(A), line(A)] });
  await sink.close();
  assert.deepEqual(r, { kind: 'partial', retry: [1], rejected: [{ index: 2, detail: '400 mapper_parsing_exception: bad' }] });
  assert.match(seen[0]?.url ?? '', /^\/es\/_bulk\?filter_path=errors,items/);
  assert.equal(seen[0]?.headers['content-type'], 'application/x-ndjson');
});

test('elasticsearch: a whole-request 503 is a retry before any item is looked at', async () => {
  handler = (_req, _body, res) => res.writeHead(503, { 'retry-after': '1' }).end('{"error":"unavailable"}');
  const sink = new ElasticsearchSink(target('/'), { index: 'i', action: 'create', timestampField: '@timestamp' });
  const r = await sink.send({ seq: 0, lines: [line(A)] });
  await sink.close();
  assert.equal(r.kind === 'retry' && r.reason, 'http_5xx');
  assert.equal(r.kind === 'retry' && r.retryAfterMs, 1000);
});

test('http: one JSON object per line, text lines wrapped; a silent server is a timeout', async () => {
  seen.length = 0;
  handler = (_req, _body, res) => res.writeHead(200).end();
  const sink = new HttpNdjsonSink(target('/ingest'));
  assert.deepEqual(await sink.send({ seq: 0, lines: [line(A), line('plain')] }), { kind: 'ok' });
  assert.equal(seen[0]?.body, `${A}\n{"message":"plain"}\n`);
  await sink.close();
  handler = () => {}; // never answers
  const slow = new HttpNdjsonSink(target('/ingest', { timeoutMs: 150 }));
  const r = await slow.send({ seq: 0, lines: [line(A)] });
  assert.equal(r.kind === 'retry' && r.reason, 'timeout');
  await slow.close();
});

test('http: nobody listening is connect_refused; a closed sink answers retry at once', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const sink = new HttpNdjsonSink({ url: new URL(`http://127.0.0.1:${port}/`), headers: {}, timeoutMs: 1000, maxSockets: 1 });
  const r = await sink.send({ seq: 0, lines: [line(A)] });
  assert.equal(r.kind === 'retry' && r.reason, 'connect_refused');
  await sink.close();
  const closed = await sink.send({ seq: 0, lines: [line(A)] });
  assert.equal(closed.kind === 'retry' && closed.reason, 'connection_lost');
});
