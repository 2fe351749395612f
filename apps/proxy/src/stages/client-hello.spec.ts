import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClientHello } from './client-hello.ts';

// ClientHellos recorded from real clients on loopback (see testdata/README.md).
const recorded: Array<[string, { serverName: string | null; alpn: string[] }]> = [
  ['hello-node-mesh', { serverName: 'orders.shop.svc.cluster.local', alpn: ['outrigger', 'http/1.1'] }],
  ['hello-openssl', { serverName: 'example.test', alpn: ['h2', 'http/1.1'] }],
  ['hello-curl', { serverName: 'localhost', alpn: ['h2', 'http/1.1'] }],
  ['hello-openssl-tls12-nosni', { serverName: null, alpn: [] }],
];
const load = (name: string) => Buffer.from(readFileSync(join(import.meta.dirname, 'testdata', `${name}.hex`), 'utf8').trim(), 'hex');

for (const [name, want] of recorded) {
  test(`${name}: found with its SNI and ALPN`, () => {
    const parsed = parseClientHello(load(name));
    assert.equal(parsed.kind, 'found');
    if (parsed.kind !== 'found') return;
    assert.equal(parsed.serverName, want.serverName);
    assert.deepEqual(parsed.alpn, want.alpn);
  });

  test(`${name}: every proper prefix is need-more`, () => {
    const hello = load(name);
    const full = recordLength(hello);
    for (let n = 0; n < full; n++) assert.equal(parseClientHello(hello.subarray(0, n)).kind, 'need-more', `prefix of ${n} bytes`);
    assert.equal(parseClientHello(hello.subarray(0, full)).kind, 'found');
  });

  test(`${name}: split across two records, at every split point, is reassembled`, () => {
    const hello = load(name);
    const body = hello.subarray(5, recordLength(hello));
    for (let cut = 1; cut < body.length; cut += Math.max(1, Math.floor(body.length / 40))) {
      const two = Buffer.concat([record(body.subarray(0, cut)), record(body.subarray(cut))]);
      const parsed = parseClientHello(two);
      assert.equal(parsed.kind, 'found', `cut at ${cut}`);
      if (parsed.kind === 'found') assert.deepEqual(parsed.alpn, want.alpn);
    }
  });
}

const notTls: Array<[string, Buffer]> = [
  ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\n')],
  ['an HTTP/2 preface', Buffer.from('PRI * HTTP/2.0\r\n')],
  ['a TLS alert record', Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])],
  ['record version 2.0', Buffer.from([0x16, 0x02, 0x00, 0x00, 0x10])],
  ['a ServerHello', Buffer.from([0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00])],
  ['zero-length record', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00])],
  ['oversized hello', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x02, 0x00, 0x00])],
];
for (const [name, input] of notTls) {
  test(`not-tls: ${name}`, () => assert.equal(parseClientHello(input).kind, 'not-tls'));
}

test('a corrupted extensions block is not-tls, never a throw', () => {
  const hello = Buffer.from(load('hello-curl'));
  for (let i = 5; i < hello.length; i += 7) {
    const mutated = Buffer.from(hello);
    mutated[i] = (mutated[i] as number) ^ 0xff;
    const parsed = parseClientHello(mutated);
    assert.ok(['found', 'not-tls', 'need-more'].includes(parsed.kind));
  }
});

function recordLength(hello: Buffer): number {
  return 5 + hello.readUInt16BE(3);
}

function record(fragment: Buffer): Buffer {
  const header = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
  header.writeUInt16BE(fragment.length, 3);
  return Buffer.concat([header, fragment]);
}
