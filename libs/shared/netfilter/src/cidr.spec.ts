// CIDR blocks: which are accepted, in which family, and why the others are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from './cidr.ts';

const accepted: Array<[text: string, family: 'v4' | 'v6']> = [
  ['10.0.0.0/8', 'v4'],
  ['198.18.0.0/15', 'v4'],
  ['169.254.169.254/32', 'v4'],
  ['0.0.0.0/0', 'v4'],
  ['fd00::/8', 'v6'],
  ['FD00:EC2::254/128', 'v6'],
  ['::/0', 'v6'],
  ['::1/128', 'v6'],
  ['2001:db8:0:0:0:0:0:0/32', 'v6'],
  ['1:2:3:4:5:6:7:8/128', 'v6'],
  ['::ffff:198.18.0.0/111', 'v6'],
  ['64:ff9b::/96', 'v6'],
];

for (const [text, family] of accepted) {
  test(`parseCidr accepts ${text} as ${family}`, () => {
    assert.deepEqual(parseCidr(text), { ok: true, family });
  });
}

const refused: Array<[text: string, problem: RegExp]> = [
  ['10.0.0.1/8', /has address bits set beyond its \/8 prefix/],
  ['fd00::1/8', /has address bits set beyond its \/8 prefix/],
  ['10.0.0.0', /needs a prefix length \/0 to \/32 \(write a single address as \/32\)/],
  ['fd00::', /needs a prefix length \/0 to \/128/],
  ['10.0.0.0/33', /needs a prefix length/],
  ['fd00::/129', /needs a prefix length/],
  ['10.0.0.0/08', /needs a prefix length/],
  ['10.0.0.0/', /needs a prefix length/],
  ['10.0.0.0/8/8', /needs a prefix length/],
  ['256.0.0.0/8', /is not an IPv4 or IPv6 CIDR block/],
  ['010.0.0.0/8', /is not an IPv4 or IPv6 CIDR block/],
  ['10.0.0/24', /is not an IPv4 or IPv6 CIDR block/],
  ['1:2:3:4:5:6:7:8:9/128', /is not an IPv4 or IPv6 CIDR block/],
  ['1:2:3:4:5:6:7/112', /is not an IPv4 or IPv6 CIDR block/],
  ['1::2::3/128', /is not an IPv4 or IPv6 CIDR block/],
  ['12345::/16', /is not an IPv4 or IPv6 CIDR block/],
  ['fe80::%eth0/64', /is not an IPv4 or IPv6 CIDR block/],
  ['1.2.3.4::/64', /is not an IPv4 or IPv6 CIDR block/],
  ['*', /is not an IPv4 or IPv6 CIDR block/],
  ['', /is not an IPv4 or IPv6 CIDR block/],
];

for (const [text, problem] of refused) {
  test(`parseCidr refuses ${JSON.stringify(text)}`, () => {
    const parsed = parseCidr(text);
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.match(parsed.problem, problem);
  });
}
