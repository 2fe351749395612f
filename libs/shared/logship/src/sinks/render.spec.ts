// The pure halves of the HTTP sinks: Loki push bodies, _bulk bodies and answers, NDJSON events,
// and the mapping of HTTP statuses and socket errors to retry / reject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderJsonEvent, type LogLine } from '../log-line.ts';
import { classifyHttpStatus, classifySocketError } from './classify.ts';
import { parseBulkResponse, renderBulk } from './render-bulk.ts';
import { renderLokiPush } from './render-loki.ts';

const line = (text: string): LogLine => ({ text, bytes: Buffer.byteLength(text) });
const NOW_MS = Date.parse('2025-06-07T08:09:10.111Z');
const NOW = new Date(NOW_MS).toISOString();
const A = '{"time":"2025-01-02T03:04:05.678Z","direction":"inbound","protocol":"http/1.1","response_code":200}';
const B = '{"time":"2025-01-02T03:04:06.000Z","direction":"outbound","protocol":"tcp","response_code":0}';

test('loki: streams by fixed labels plus chosen fields, nanosecond timestamps, text lines as they are', () => {
  const body = JSON.parse(renderLokiPush([line(A), line(B), line('not json'), line(A)], { labels: { job: 'outrigger', pod: 'web-1' }, labelFields: ['direction', 'missing'] }, NOW_MS));
  assert.deepEqual(body, {
    streams: [
      { stream: { job: 'outrigger', pod: 'web-1', direction: 'inbound' }, values: [['1735787045678000000', A], ['1735787045678000000', A]] },
      { stream: { job: 'outrigger', pod: 'web-1', direction: 'outbound' }, values: [['1735787046000000000', B]] },
      { stream: { job: 'outrigger', pod: 'web-1' }, values: [[`${NOW_MS}000000`, 'not json']] },
    ],
  });
});

test('loki: a truncated line keeps its mark', () => {
  const body = JSON.parse(renderLokiPush([{ text: '{"time":"x', bytes: 99, truncatedFrom: 99 }], { labels: {}, labelFields: [] }, NOW_MS));
  assert.equal(body.streams[0].values[0][1], '{"time":"x [truncated: 99 bytes]');
});

test('bulk: an action line per document, @timestamp spliced in front, text lines wrapped', () => {
  const body = renderBulk([line(A), line('{"@timestamp":"t","a":1}'), line('{}'), line('oops'), { text: '{"a', bytes: 70, truncatedFrom: 70 }], { index: 'logs', action: 'create', timestampField: '@timestamp' }, NOW);
  const rows = body.split('\n');
  assert.equal(rows.length, 11);
  assert.equal(rows.at(-1), '');
  for (const i of [0, 2, 4, 6, 8]) assert.equal(rows[i], '{"create":{"_index":"logs"}}');
  assert.deepEqual(JSON.parse(rows[1] as string), { '@timestamp': '2025-01-02T03:04:05.678Z', ...JSON.parse(A) });
  assert.ok((rows[1] as string).endsWith(A.slice(1)), 'the line keeps its bytes');
  assert.equal(rows[3], '{"@timestamp":"t","a":1}');
  assert.equal(rows[5], `{"@timestamp":"${NOW}"}`);
  assert.deepEqual(JSON.parse(rows[7] as string), { '@timestamp': NOW, message: 'oops' });
  assert.deepEqual(JSON.parse(rows[9] as string), { '@timestamp': NOW, message: '{"a [truncated: 70 bytes]', truncated: true, original_bytes: 70 });
  assert.match(renderBulk([line(A)], { index: 'i', action: 'index', timestampField: 'ts' }, NOW), /^\{"index":\{"_index":"i"\}\}\n\{"ts":/);
});

test('bulk answers: per item, 2xx taken, 429/5xx retried, other 4xx rejected with the reason', () => {
  assert.deepEqual(parseBulkResponse('{"errors":false}', 3), { kind: 'ok' });
  const answer = {
    errors: true,
    items: [
      { create: { status: 201 } },
      { create: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } } },
      { create: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [response_code]' } } },
      { create: { status: 503 } },
    ],
  };
  assert.deepEqual(parseBulkResponse(JSON.stringify(answer), 5), {
    kind: 'partial',
    retry: [1, 3, 4],
    rejected: [{ index: 2, detail: '400 mapper_parsing_exception: failed to parse field [response_code]' }],
  });
  assert.deepEqual(parseBulkResponse('{"errors":true,"items":[{"index":{"status":200}}]}', 1), { kind: 'ok' });
  assert.equal(parseBulkResponse('<html>', 1).kind, 'retry');
  assert.equal(parseBulkResponse('{"errors":true}', 1).kind, 'retry');
});

test('ndjson events: a JSON object line is sent as it is, anything else as {"message": ...}', () => {
  assert.equal(renderJsonEvent(line(A)), A);
  assert.equal(renderJsonEvent(line('[1,2]')), '{"message":"[1,2]"}');
  assert.equal(renderJsonEvent(line('{"a":1} trailing')), '{"message":"{\\"a\\":1} trailing"}');
  assert.equal(renderJsonEvent({ text: '{"a', bytes: 9, truncatedFrom: 9 }), '{"message":"{\\"a [truncated: 9 bytes]","truncated":true,"original_bytes":9}');
});

const statuses: Array<[number, string | undefined, string]> = [
  [200, undefined, 'ok'], [204, undefined, 'ok'], [429, '2', 'retry:http_429:2000'], [503, '7', 'retry:http_5xx:7000'], [500, undefined, 'retry:http_5xx'],
  [408, undefined, 'retry:http_408'], [400, undefined, 'reject:http_status'], [401, undefined, 'reject:http_status'], [404, undefined, 'reject:http_status'],
  [413, undefined, 'reject:http_status'], [301, '1', 'reject:http_status'],
];
for (const [status, retryAfter, want] of statuses) {
  test(`HTTP ${status}${retryAfter ? ` Retry-After ${retryAfter}` : ''} -> ${want}`, () => {
    const r = classifyHttpStatus(status, retryAfter, 'body text', NOW_MS);
    const got = r.kind === 'retry' ? `retry:${r.reason}${r.retryAfterMs !== undefined ? `:${r.retryAfterMs}` : ''}` : r.kind === 'reject' ? `reject:${r.reason}` : r.kind;
    assert.equal(got, want);
    if (r.kind === 'reject') assert.equal(r.detail, `HTTP ${status}: body text`);
  });
}

test('socket errors map to a closed set of reasons', () => {
  const e = (code: string, message = code) => Object.assign(new Error(message), { code });
  assert.equal(classifySocketError(e('ECONNREFUSED')), 'connect_refused');
  assert.equal(classifySocketError(e('ECONNRESET')), 'connection_lost');
  assert.equal(classifySocketError(e('EPIPE')), 'connection_lost');
  assert.equal(classifySocketError(e('UNABLE_TO_VERIFY_LEAF_SIGNATURE')), 'tls_failed');
  assert.equal(classifySocketError(e('ERR_TLS_CERT_ALTNAME_INVALID')), 'tls_failed');
  assert.equal(classifySocketError(e('', 'socket hang up')), 'connection_lost');
  assert.equal(classifySocketError(e('EHOSTUNREACH')), 'network');
});
