// validateCaptureSpec: a table of broken specs, each with the problem a user should read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCaptureSpec, validateCaptureSpec, type CaptureSpec } from './capture-spec.ts';

test('the default spec is valid and is what DESIGN section 3 describes', () => {
  const spec = defaultCaptureSpec();
  assert.deepEqual(validateCaptureSpec(spec), []);
  assert.deepEqual([spec.inboundPort, spec.outboundPort, spec.adminPort, spec.proxyUid, spec.proxyGid], [15006, 15001, 15020, 1337, 1337]);
  assert.notEqual(defaultCaptureSpec().inboundPorts, spec.inboundPorts, 'a fresh spec each call, safe to change');
});

test('a full, valid spec has no problems', () => {
  const spec: CaptureSpec = {
    ...defaultCaptureSpec(),
    inboundPorts: [8080, 9090],
    excludeInboundPorts: [22, 15020],
    excludeOutboundPorts: [25],
    includeOutboundCidrs: ['10.0.0.0/8', 'fd00::/8'],
    excludeOutboundCidrs: ['10.96.0.0/12'],
    excludeInboundSourceCidrs: ['198.18.0.0/15', 'fd00:1::/64'],
    ipv6: true,
  };
  assert.deepEqual(validateCaptureSpec(spec), []);
  assert.deepEqual(validateCaptureSpec({ ...defaultCaptureSpec(), includeOutboundCidrs: ['*'] }), []);
});

const broken: Array<[name: string, change: Partial<CaptureSpec>, problems: string[]]> = [
  ['port 0', { inboundPort: 0 }, ['--inbound-port: 0 is not a port (1-65535)']],
  ['port above 65535', { adminPort: 65536 }, ['--admin-port: 65536 is not a port (1-65535)']],
  ['fractional port', { outboundPort: 15001.5 }, ['--outbound-port: 15001.5 is not a port (1-65535)']],
  ['uid 0 (root would bypass capture)', { proxyUid: 0 }, ['--proxy-uid: 0 is not a uid/gid (1-4294967294)']],
  ['gid (uid_t)-1', { proxyGid: 4294967295 }, ['--proxy-gid: 4294967295 is not a uid/gid (1-4294967294)']],
  ['proxy ports clash', { adminPort: 15006 }, ['--inbound-port, --outbound-port and --admin-port must differ (got 15006, 15001, 15006)']],
  ['bad port in a list', { excludeOutboundPorts: [25, 70000] }, ['--exclude-outbound-ports: 70000 is not a port (1-65535)']],
  ['port listed twice', { excludeInboundPorts: [22, 22] }, ['--exclude-inbound-ports: 22 is listed twice']],
  ['listed port that is a proxy port', { inboundPorts: [8080, 15006] }, ['--inbound-ports: 15006 is a proxy port, which is never redirected']],
  ['listed port also excluded', { inboundPorts: [8080], excludeInboundPorts: [8080] }, ['--inbound-ports: 8080 is also in --exclude-inbound-ports']],
  ['bad CIDR', { excludeOutboundCidrs: ['10.0.0.1/8'] }, ['--exclude-outbound-cidrs: "10.0.0.1/8" has address bits set beyond its /8 prefix']],
  ['IPv6 block without --ipv6', { excludeInboundSourceCidrs: ['fd00::/8'] }, ['--exclude-inbound-source-cidrs: fd00::/8 is IPv6 but --ipv6 is false']],
  ["'*' with other blocks", { includeOutboundCidrs: ['*', '10.0.0.0/8'] }, ["--include-outbound-cidrs: '*' (everything) cannot be combined with other blocks"]],
  ["'*' outside the include list", { excludeOutboundCidrs: ['*'] }, ['--exclude-outbound-cidrs: "*" is not an IPv4 or IPv6 CIDR block']],
  ['CIDR listed twice', { excludeOutboundCidrs: ['10.0.0.0/8', '10.0.0.0/8'] }, ['--exclude-outbound-cidrs: 10.0.0.0/8 is listed twice']],
  ['CIDR included and excluded', { includeOutboundCidrs: ['10.0.0.0/8'], excludeOutboundCidrs: ['10.0.0.0/8'] }, ['--include-outbound-cidrs: 10.0.0.0/8 is also in --exclude-outbound-cidrs']],
];

for (const [name, change, problems] of broken) {
  test(`validateCaptureSpec: ${name}`, () => {
    assert.deepEqual(validateCaptureSpec({ ...defaultCaptureSpec(), ...change }), problems);
  });
}

test('validateCaptureSpec reports every problem at once, in field order', () => {
  const problems = validateCaptureSpec({ ...defaultCaptureSpec(), proxyUid: 0, excludeInboundPorts: [0], excludeOutboundCidrs: ['nope'] });
  assert.deepEqual(problems, [
    '--proxy-uid: 0 is not a uid/gid (1-4294967294)',
    '--exclude-inbound-ports: 0 is not a port (1-65535)',
    '--exclude-outbound-cidrs: "nope" is not an IPv4 or IPv6 CIDR block',
  ]);
});
