import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sniffProtocol, MAX_SNIFF_BYTES } from './sniff-protocol.ts';

const cases: Array<[string, Buffer, string]> = [
  ['GET request line', Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'), 'http1'],
  ['HTTP/1.0 POST', Buffer.from('POST /x?y=1 HTTP/1.0\r\n'), 'http1'],
  ['bare LF line ending', Buffer.from('GET / HTTP/1.1\n'), 'http1'],
  ['HTTP/2 preface', Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), 'h2'],
  ['TLS ClientHello byte', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10]), 'opaque'],
  ['lower-case method', Buffer.from('get / HTTP/1.1\r\n'), 'opaque'],
  ['HTTP/2 version in request line', Buffer.from('GET / HTTP/2.0\r\n'), 'opaque'],
  ['Redis inline command', Buffer.from('PING\r\n'), 'opaque'],
  ['method too long', Buffer.from('A'.repeat(30)), 'opaque'],
  ['two spaces after method', Buffer.from('GET  / HTTP/1.1\r\n'), 'opaque'],
  ['empty', Buffer.alloc(0), 'need-more'],
  ['method only', Buffer.from('GET'), 'need-more'],
  ['partial line', Buffer.from('GET /index.html HTT'), 'need-more'],
  ['partial preface', Buffer.from('PRI * HTTP/2'), 'need-more'],
  ['line longer than the limit', Buffer.concat([Buffer.from('GET /'), Buffer.alloc(MAX_SNIFF_BYTES, 0x61)]), 'opaque'],
];

for (const [name, input, want] of cases) {
  test(`sniffProtocol: ${name} -> ${want}`, () => assert.equal(sniffProtocol(input), want));
}

test('sniffProtocol: every prefix of an HTTP request is need-more until the line ends', () => {
  const request = Buffer.from('DELETE /items/7 HTTP/1.1\r\nHost: x\r\n\r\n');
  const lineEnd = request.indexOf('\n');
  for (let n = 0; n <= lineEnd; n++) assert.equal(sniffProtocol(request.subarray(0, n)), 'need-more', `prefix ${n}`);
  for (let n = lineEnd + 1; n <= request.length; n++) assert.equal(sniffProtocol(request.subarray(0, n)), 'http1', `prefix ${n}`);
});
