// The RFC 5424 / RFC 6587 formatter: a golden file of named cases (the exact bytes sent), then
// tables for PRI, header fields, SD names and escaping, and octet counts of multi-byte text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLine } from './log-line.ts';
import {
  escapeParamValue, frameOctetCounted, headerField, prepareSyslog, renderStructuredData, renderSyslogFrames,
  renderSyslogMessage, sdNameProblem, type SyslogFormat,
} from './render-syslog.ts';
import { join } from 'node:path';
import { checkGolden } from '@outrigger/testing';

const NOW = '2025-06-07T08:09:10.111Z';
const base: SyslogFormat = { facility: 'local0', severity: 'info', hostname: 'web-7d9f-abcde', appName: 'outrigger', procId: '42', msgId: 'access', structuredData: [], bom: true };
const text = (t: string): LogLine => ({ text: t, bytes: Buffer.byteLength(t) });
const ACCESS = '{"time":"2025-01-02T03:04:05.678Z","direction":"inbound","protocol":"http/1.1","method":"GET","path":"/api/orders?id=7","response_code":200}';

const cases: Array<[name: string, line: LogLine, format?: Partial<SyslogFormat>]> = [
  ['access-log line: timestamp from its time field', text(ACCESS)],
  ['JSON without time: timestamp is now', text('{"direction":"outbound"}')],
  ['not JSON: shipped as text, timestamp now', text('plain text, not {json')],
  ['time with an offset is kept', text('{"time":"2025-01-02T05:04:05.678+02:00","x":1}')],
  ['time not first in the object', text('{"x":1,"time":"2025-01-02T03:04:05.678Z"}')],
  ['non-RFC 3339 time is normalised to UTC', text('{"time":"Thu, 02 Jan 2025 03:04:05 GMT"}')],
  ['nanosecond time (9 digits) is cut to milliseconds', text('{"time":"2025-01-02T03:04:05.123456789Z"}')],
  ['unparseable time: now', text('{"time":"yesterday"}')],
  ['multi-byte text is counted in octets', text('{"time":"2025-01-02T03:04:05.678Z","path":"/café/😀"}')],
  ['truncated line carries its mark', { text: '{"time":"2025-01-02T03:04:05.678Z","path":"/aaaa', bytes: 70000, truncatedFrom: 70000 }],
  ['kern.emerg is PRI 0', text(ACCESS), { facility: 'kern', severity: 'emerg' }],
  ['local7.debug is PRI 191', text(ACCESS), { facility: 'local7', severity: 'debug' }],
  ['structured data with escaping', text(ACCESS), { structuredData: [{ id: 'origin', params: { ip: '10.0.0.1', software: 'outrigger' } }, { id: 'pod@32473', params: { note: 'a "q" \\ ]' } }] }],
  ['hostname with spaces and non-ASCII is made printable', text(ACCESS), { hostname: 'my laptop·1' }],
  ['empty fields are the NILVALUE', text(ACCESS), { hostname: '', procId: '' }],
  ['without BOM', text(ACCESS), { bom: false }],
];

test('golden: every case as the exact frame written to the socket', () => {
  let out = '';
  for (const [name, line, change] of cases) {
    out += `# ${name}\n${frameOctetCounted(renderSyslogMessage(line, prepareSyslog({ ...base, ...change }), NOW))}\n`;
  }
  checkGolden(join(import.meta.dirname, 'testdata'), 'syslog-frames.golden', out);
});

test('the MSG starts with the UTF-8 BOM (RFC 5424 section 6.4) right after STRUCTURED-DATA', () => {
  const msg = Buffer.from(renderSyslogMessage(text('x'), prepareSyslog(base), NOW));
  const sp = msg.indexOf(' - ');
  assert.deepEqual([...msg.subarray(sp + 3, sp + 6)], [0xef, 0xbb, 0xbf]);
  assert.equal(msg.subarray(sp + 6).toString(), 'x');
});

test('the header is exactly PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD SP MSG', () => {
  const msg = renderSyslogMessage(text(ACCESS), prepareSyslog(base), NOW);
  const m = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) \uFEFF(.*)$/s.exec(msg);
  assert.ok(m, msg);
  assert.deepEqual(m.slice(1, 8), ['134', '2025-01-02T03:04:05.678Z', 'web-7d9f-abcde', 'outrigger', '42', 'access', '-']);
  assert.equal(m[8], ACCESS);
});

const pris: Array<[SyslogFormat['facility'], SyslogFormat['severity'], number]> = [
  ['kern', 'emerg', 0], ['user', 'notice', 13], ['daemon', 'err', 27], ['local0', 'info', 134], ['local4', 'warning', 164], ['local7', 'debug', 191],
];
for (const [facility, severity, pri] of pris) {
  test(`PRI of ${facility}.${severity} is ${pri}`, () => assert.ok(prepareSyslog({ ...base, facility, severity }).head === `<${pri}>1 `));
}

test('octet counts are bytes, not characters', () => {
  for (const [msg, bytes] of [['a', 1], ['é', 2], ['😀', 4], ['\uFEFF', 3], ['', 0]] as const) {
    assert.equal(frameOctetCounted(msg), `${bytes} ${msg}`);
  }
});

test('a batch buffer is exactly the frames of every golden case back to back', () => {
  for (const [name, line, change] of cases) {
    const prepared = prepareSyslog({ ...base, ...change, structuredData: [{ id: 'x@1', params: { v: 'é]' } }] });
    const want = Buffer.from(frameOctetCounted(renderSyslogMessage(line, prepared, NOW)) + frameOctetCounted(renderSyslogMessage(text('z'), prepared, NOW)));
    assert.deepEqual(renderSyslogFrames([line, text('z')], prepared, NOW), want, name);
  }
});

test('a batch is its frames back to back, each self-delimiting', () => {
  const buf = renderSyslogFrames([text('a'), text('é')], prepareSyslog({ ...base, bom: false }), NOW);
  const parsed: string[] = [];
  for (let at = 0; at < buf.length;) {
    const sp = buf.indexOf(0x20, at);
    const len = Number(buf.subarray(at, sp).toString());
    parsed.push(buf.subarray(sp + 1, sp + 1 + len).toString());
    at = sp + 1 + len;
  }
  assert.deepEqual(parsed.map((p) => p.split(' ').at(-1)), ['a', 'é']);
});

test('header fields: printable US-ASCII within the RFC length, NILVALUE when empty', () => {
  assert.equal(headerField('pod-1', 255), 'pod-1');
  assert.equal(headerField('a b\tc', 255), 'a_b_c');
  assert.equal(headerField('x'.repeat(300), 255), 'x'.repeat(255));
  assert.equal(headerField('', 48), '-');
  assert.equal(headerField('é', 48), '_');
});

const sdNames: Array<[string, 'id' | 'param', boolean]> = [
  ['origin', 'id', true], ['timeQuality', 'id', true], ['meta', 'id', true], ['pod@32473', 'id', true], ['pod@1.2.3', 'id', true],
  ['pod', 'id', false], ['@32473', 'id', false], ['pod@abc', 'id', false], ['a@1@2', 'id', false], ['a b@1', 'id', false], ['a=b@1', 'id', false],
  ['x'.repeat(33), 'id', false], ['ip', 'param', true], ['a]b', 'param', false], ['a"b', 'param', false], ['', 'param', false],
];
for (const [name, kind, ok] of sdNames) {
  test(`SD ${kind} name ${JSON.stringify(name.slice(0, 20))} is ${ok ? 'valid' : 'refused'}`, () => assert.equal(sdNameProblem(name, kind) === undefined, ok));
}

test('PARAM-VALUE escapes exactly ", \\ and ] (RFC 5424 section 6.3.3)', () => {
  assert.equal(escapeParamValue('a"b\\c]d[e=f'), 'a\\"b\\\\c\\]d[e=f');
  assert.equal(renderStructuredData([]), '-');
  assert.equal(renderStructuredData([{ id: 'meta', params: {} }]), '[meta]');
  assert.equal(renderStructuredData([{ id: 'a@1', params: { k: 'v' } }, { id: 'b@1', params: { x: '"', y: 'z' } }]), '[a@1 k="v"][b@1 x="\\"" y="z"]');
});
