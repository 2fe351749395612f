// The access-log line: fixed field order, valid JSON for any string, one line per record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCESS_LOG_FIELDS, formatAccessLogLine, formatResponseFlags, type AccessLogRecord } from './access-log-record.ts';
import { ERROR_RECORD, HTTP_RECORD, TCP_RECORD } from './testdata/records.ts';

/** The reference: the same fields, in order, through JSON.stringify. */
const reference = (r: AccessLogRecord): string =>
  JSON.stringify(Object.fromEntries(ACCESS_LOG_FIELDS.map((f) => [f, r[f]]))) + '\n';

test('ACCESS_LOG_FIELDS lists every record field once', () => {
  assert.deepEqual([...ACCESS_LOG_FIELDS].sort(), Object.keys(HTTP_RECORD).sort());
  assert.equal(new Set(ACCESS_LOG_FIELDS).size, ACCESS_LOG_FIELDS.length);
});

test('HTTP and TCP lines carry every field in the documented order and round-trip', () => {
  for (const record of [HTTP_RECORD, TCP_RECORD, ERROR_RECORD]) {
    const line = formatAccessLogLine(record);
    assert.ok(line.endsWith('\n'));
    assert.equal(line.indexOf('\n'), line.length - 1);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), [...ACCESS_LOG_FIELDS]);
    assert.deepEqual(parsed, { ...record });
    assert.equal(line, reference(record));
  }
});

test('strings that need escaping stay one valid JSON line', () => {
  const hostile = [
    'say "hi"', 'back\\slash', 'line\nbreak\r\n', 'tab\tand\u0000nul\u001f', 'ünïcödé ✓ 🚀',
    '\ud800 lone surrogate', '</script>', '\u2028\u2029', '',
  ];
  for (const s of hostile) {
    const record = { ...HTTP_RECORD, path: s, user_agent: s, x_forwarded_for: s };
    const line = formatAccessLogLine(record);
    assert.equal(line.indexOf('\n'), line.length - 1, JSON.stringify(s));
    assert.equal(line, reference(record));
    assert.equal((JSON.parse(line) as AccessLogRecord).path, s);
  }
});

test('every UTF-16 code unit, alone and inside text, is written exactly as JSON.stringify writes it', () => {
  // Values without anything to escape skip JSON.stringify: this shows the shortcut changes no byte.
  for (let code = 0; code <= 0xffff; code++) {
    const c = String.fromCharCode(code);
    for (const s of [c, `a${c}b`]) {
      const record = { ...HTTP_RECORD, path: s };
      assert.equal(formatAccessLogLine(record), reference(record), `U+${code.toString(16)}`);
    }
  }
});

test('numbers that are not finite become null rather than breaking the JSON', () => {
  const line = formatAccessLogLine({ ...HTTP_RECORD, duration_ms: Number.NaN, bytes_sent: Infinity });
  const parsed = JSON.parse(line) as Record<string, unknown>;
  assert.equal(parsed.duration_ms, null);
  assert.equal(parsed.bytes_sent, null);
});

test('fields left unset by untyped callers are written as null', () => {
  const partial = { ...HTTP_RECORD } as Partial<AccessLogRecord>;
  delete partial.user_agent;
  delete partial.bytes_sent;
  const parsed = JSON.parse(formatAccessLogLine(partial as AccessLogRecord)) as Record<string, unknown>;
  assert.equal(parsed.user_agent, null);
  assert.equal(parsed.bytes_sent, null);
});

test('response flags are comma-joined, "-" when none', () => {
  assert.equal(formatResponseFlags([]), '-');
  assert.equal(formatResponseFlags(['UF']), 'UF');
  assert.equal(formatResponseFlags(['UT', 'DC']), 'UT,DC');
});
