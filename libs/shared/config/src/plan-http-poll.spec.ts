import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestErrorKind, parseUrlFileName, parseValidators, planConditionalHeaders, renderSafeUrl } from './plan-http-poll.ts';

test('validators from a 200 become conditional request headers', () => {
  const v = parseValidators({ etag: '"abc"', 'last-modified': 'Tue, 01 Jul 2025 10:00:00 GMT', 'content-type': 'text/yaml' });
  assert.deepEqual(v, { etag: '"abc"', lastModified: 'Tue, 01 Jul 2025 10:00:00 GMT' });
  assert.deepEqual(planConditionalHeaders(v), { 'if-none-match': '"abc"', 'if-modified-since': 'Tue, 01 Jul 2025 10:00:00 GMT' });
  assert.deepEqual(planConditionalHeaders(parseValidators({ etag: 'W/"weak"' })), { 'if-none-match': 'W/"weak"' });
  assert.deepEqual(planConditionalHeaders(parseValidators({})), {});
});

const codes: Array<[string | undefined, string]> = [
  ['ECONNREFUSED', 'unreachable'], ['ENOTFOUND', 'unreachable'], ['ECONNRESET', 'unreachable'], ['ETIMEDOUT', 'timeout'],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'], ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'], ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
  ['CERT_HAS_EXPIRED', 'tls'], ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tls'], [undefined, 'unreachable'],
];
for (const [code, kind] of codes) {
  test(`a request failing with ${code} is ${kind}`, () => assert.equal(parseRequestErrorKind(code), kind));
}

const urls: Array<[string, string]> = [
  ['https://cfg.example/apps/shop/app.yaml?v=2', 'app.yaml'],
  ['http://127.0.0.1:8080/settings.json', 'settings.json'],
  ['http://127.0.0.1:8080/', 'config'],
  ['http://127.0.0.1:8080/a/%2E%2E', 'config'],
  ['http://127.0.0.1:8080/a%2Fb', 'config'],
  ['http://127.0.0.1:8080/my%20app.yaml', 'my app.yaml'],
];
for (const [url, name] of urls) {
  test(`the body of ${url} is written as ${name}`, () => assert.equal(parseUrlFileName(new URL(url)), name));
}

test('a URL is logged without credentials or query', () => {
  assert.equal(renderSafeUrl(new URL('https://user:secret@cfg.example:8443/app.yaml?token=t')), 'https://cfg.example:8443/app.yaml');
});
