// The error catalogue's invariants, and classifyError on a table of codes, on cause chains and on
// real errors from node:net.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { ERROR_KINDS, RESPONSE_FLAGS, OutriggerError, classifyError, isErrorKind, type ErrorKind, type ErrorSide } from './error-kinds.ts';

const withCode = (code: string, message = code): Error => Object.assign(new Error(message), { code });

test('every kind has a snake_case name, a known flag, a plausible status and a one-line description', () => {
  for (const [name, info] of Object.entries(ERROR_KINDS)) {
    assert.match(name, /^[a-z]+(_[a-z]+)*$/, name);
    assert.ok(info.flag === '-' || Object.hasOwn(RESPONSE_FLAGS, info.flag), `${name}: flag ${info.flag}`);
    assert.ok(info.httpStatus === 0 || (info.httpStatus >= 400 && info.httpStatus <= 599), `${name}: status ${info.httpStatus}`);
    assert.match(info.description, /^[A-Z].*\.\)?$/, `${name}: description`);
    assert.ok(!info.description.includes('\n'), name);
  }
});

test('every response flag is used by some kind, and extension flags follow Envoy custom-flag form', () => {
  const used = new Set<string>(Object.values(ERROR_KINDS).map((k) => k.flag));
  for (const [flag, info] of Object.entries(RESPONSE_FLAGS)) {
    assert.ok(used.has(flag), `${flag} unused`);
    if (info.origin === 'outrigger') assert.match(flag, /^[A-Z]{2,}$/);
  }
});

test('the kinds the proxy depends on keep their flag and status', () => {
  const expected: [ErrorKind, string, number][] = [
    ['upstream_connect_refused', 'UF', 502], ['upstream_connect_timeout', 'UF', 504],
    ['upstream_reset', 'UC', 502], ['upstream_timeout', 'UT', 504], ['no_upstream', 'UH', 503],
    ['downstream_aborted', 'DC', 0], ['idle_timeout', 'SI', 408], ['headers_too_large', 'DPE', 431],
    ['bad_request', 'DPE', 400], ['authz_denied', 'RBAC', 403], ['internal', 'IE', 500],
  ];
  for (const [kind, flag, status] of expected) {
    assert.deepEqual([ERROR_KINDS[kind].flag, ERROR_KINDS[kind].httpStatus], [flag, status], kind);
  }
});

test('classifyError maps Node and OpenSSL codes, by side where the side changes the meaning', () => {
  const table: [code: string, side: ErrorSide, kind: ErrorKind][] = [
    ['ECONNREFUSED', 'upstream', 'upstream_connect_refused'],
    ['ETIMEDOUT', 'upstream', 'upstream_connect_timeout'],
    ['EHOSTUNREACH', 'upstream', 'upstream_unreachable'],
    ['ENETUNREACH', 'upstream', 'upstream_unreachable'],
    ['ENOTFOUND', 'upstream', 'upstream_dns_failed'],
    ['EAI_AGAIN', 'upstream', 'upstream_dns_failed'],
    ['ECONNRESET', 'upstream', 'upstream_reset'],
    ['ECONNRESET', 'downstream', 'downstream_aborted'],
    ['EPIPE', 'upstream', 'upstream_reset'],
    ['EPIPE', 'downstream', 'downstream_aborted'],
    ['ERR_STREAM_PREMATURE_CLOSE', 'upstream', 'upstream_reset'],
    ['ERR_STREAM_PREMATURE_CLOSE', 'downstream', 'downstream_aborted'],
    ['ECONNABORTED', 'downstream', 'downstream_aborted'],
    ['ECONNECT_TIMEOUT', 'upstream', 'upstream_connect_timeout'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'downstream', 'request_header_timeout'],
    ['HPE_HEADER_OVERFLOW', 'downstream', 'headers_too_large'],
    ['HPE_INVALID_METHOD', 'downstream', 'bad_request'],
    ['HPE_INVALID_CONSTANT', 'upstream', 'upstream_protocol_error'],
    ['HPE_HEADER_OVERFLOW', 'upstream', 'upstream_protocol_error'],
    // Codes recorded from node:tls 24 against OpenSSL 3 (server requiring a client certificate).
    ['ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', 'downstream', 'client_cert_required'],
    ['ERR_SSL_HTTP_REQUEST', 'downstream', 'tls_handshake_failed'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'downstream', 'tls_handshake_failed'],
    ['ERR_TLS_HANDSHAKE_TIMEOUT', 'downstream', 'tls_handshake_failed'],
    ['CERT_HAS_EXPIRED', 'downstream', 'client_cert_rejected'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'downstream', 'client_cert_rejected'],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'upstream', 'upstream_tls_failed'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'upstream', 'upstream_tls_failed'],
    ['CERT_HAS_EXPIRED', 'upstream', 'upstream_tls_failed'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'upstream', 'upstream_identity_mismatch'],
    ['ERR_TLS_HANDSHAKE_TIMEOUT', 'upstream', 'upstream_connect_timeout'],
    // HTTP parse errors of an upstream's response (the forwarder's pool uses node's llhttp).
    ['HPE_HEADER_OVERFLOW', 'upstream', 'upstream_protocol_error'],
    ['HPE_INVALID_CONSTANT', 'upstream', 'upstream_protocol_error'],
    ['EACCES', 'upstream', 'internal'],
  ];
  for (const [code, side, kind] of table) {
    assert.equal(classifyError(withCode(code), side), kind, `${code} on ${side}`);
  }
});

test('classifyError defaults to the upstream side', () => {
  assert.equal(classifyError(withCode('ECONNRESET')), 'upstream_reset');
});

test('an explicit kind wins, at any depth of the cause chain, outermost first', () => {
  const refused = withCode('ECONNREFUSED');
  assert.equal(classifyError(new OutriggerError('no_upstream', 'x', { cause: refused })), 'no_upstream');
  assert.equal(classifyError(new Error('outer', { cause: new Error('mid', { cause: refused }) })), 'upstream_connect_refused');
  assert.equal(classifyError(new Error('outer', { cause: { kind: 'authz_denied' } })), 'authz_denied');
  assert.equal(classifyError(Object.assign(new Error('x'), { kind: 'not_a_kind' })), 'internal');
});

test('classifyError looks inside AggregateError (happy eyeballs connect failures)', () => {
  const agg = new AggregateError([withCode('ENETUNREACH'), withCode('ECONNREFUSED')], 'all failed');
  assert.equal(classifyError(agg), 'upstream_unreachable');
});

test('classifyError survives cycles, odd values and AbortSignal timeouts', () => {
  const a: { cause?: unknown } = {};
  const b = { cause: a };
  a.cause = b;
  assert.equal(classifyError(a), 'internal');
  for (const v of [undefined, null, 'ECONNRESET', 42, {}, { code: 7 }]) assert.equal(classifyError(v), 'internal');
  const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  assert.equal(classifyError(timeout), 'upstream_timeout');
  assert.equal(classifyError(timeout, 'downstream'), 'idle_timeout');
});

test('OutriggerError carries kind, name, cause and defaults its message to the description', () => {
  const cause = new Error('root');
  const err = new OutriggerError('upstream_timeout', undefined, { cause });
  assert.ok(err instanceof Error);
  assert.equal(err.kind, 'upstream_timeout');
  assert.equal(err.name, 'OutriggerError');
  assert.equal(err.cause, cause);
  assert.equal(err.message, ERROR_KINDS.upstream_timeout.description);
  assert.ok(isErrorKind('internal'));
  assert.ok(!isErrorKind('toString'));
});

test('a real refused connection classifies as upstream_connect_refused', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const err = await new Promise<unknown>((resolve) => connect(port, '127.0.0.1').on('error', resolve));
  assert.equal(classifyError(err), 'upstream_connect_refused');
});
