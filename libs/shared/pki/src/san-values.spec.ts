// IP literals for SANs: what becomes bytes and what is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipAddressBytes } from './san-values.ts';

const addresses: Array<[text: string, bytes: number[] | undefined]> = [
  ['127.0.0.1', [127, 0, 0, 1]],
  ['0.0.0.0', [0, 0, 0, 0]],
  ['255.255.255.255', [255, 255, 255, 255]],
  ['::1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
  ['::', Array<number>(16).fill(0)],
  ['2001:db8::1:0:0:1', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]],
  ['FE80::ABCD', [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd]],
  ['::ffff:198.18.0.1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1]],
  ['1:2:3:4:5:6:7:8', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
  ['256.0.0.1', undefined],
  ['1.2.3.4.5', undefined],
  ['1.2.3', undefined],
  ['0x7f.0.0.1', undefined],
  ['127.1', undefined],
  [' 127.0.0.1', undefined],
  ['1:2:3:4:5:6:7:8:9', undefined],
  ['12345::1', undefined],
  ['fe80::1%eth0', undefined],
  ['[::1]', undefined],
  ['::1]:80/x?[', undefined],
  ['', undefined],
];

for (const [text, bytes] of addresses) {
  test(`ipAddressBytes(${JSON.stringify(text)})`, () => {
    const got = ipAddressBytes(text);
    assert.deepEqual(got === undefined ? undefined : [...got], bytes);
  });
}
