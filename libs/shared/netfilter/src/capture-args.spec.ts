// CaptureSpec <-> init args: the exact argument list, the round trip on a table and on 200 seeded
// random specs, and what fromArgs says about bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromArgs, toArgs } from './capture-args.ts';
import { defaultCaptureSpec, validateCaptureSpec, type CaptureSpec } from './capture-spec.ts';

test('toArgs writes every flag, defaults included, in a fixed order', () => {
  assert.deepEqual(toArgs({ ...defaultCaptureSpec(), excludeInboundPorts: [22, 8081], includeOutboundCidrs: ['*'] }), [
    '--inbound-port', '15006', '--outbound-port', '15001', '--admin-port', '15020',
    '--proxy-uid', '1337', '--proxy-gid', '1337',
    '--inbound-ports', '', '--exclude-inbound-ports', '22,8081', '--exclude-outbound-ports', '',
    '--include-outbound-cidrs', '*', '--exclude-outbound-cidrs', '', '--exclude-inbound-source-cidrs', '',
    '--ipv6', 'false',
  ]);
});

const table: Array<[name: string, spec: CaptureSpec]> = [
  ['defaults', defaultCaptureSpec()],
  ['listed ports', { ...defaultCaptureSpec(), inboundPorts: [8080, 9090], excludeInboundPorts: [22] }],
  ["include '*'", { ...defaultCaptureSpec(), includeOutboundCidrs: ['*'] }],
  ['everything set', {
    inboundPort: 4143, outboundPort: 4140, adminPort: 4191, proxyUid: 2102, proxyGid: 2103,
    inboundPorts: [80], excludeInboundPorts: [22, 4190], excludeOutboundPorts: [25, 443],
    includeOutboundCidrs: ['10.0.0.0/8', 'fd00::/8'], excludeOutboundCidrs: ['10.96.0.0/12', 'fd00:1::/64'],
    excludeInboundSourceCidrs: ['198.18.0.0/15'], ipv6: true,
  }],
];

for (const [name, spec] of table) {
  test(`fromArgs(toArgs(spec)) equals spec: ${name}`, () => {
    assert.deepEqual(validateCaptureSpec(spec), [], 'the table holds valid specs only');
    assert.deepEqual(fromArgs(toArgs(spec)), { ok: true, spec });
  });
}

/** mulberry32: a tiny seeded PRNG, so a failing random spec is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSpec(random: () => number): CaptureSpec {
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const some = <T>(max: number, make: () => T): T[] => [...new Set(Array.from({ length: int(0, max) }, make))];
  const v4 = () => {
    const prefix = int(8, 32);
    const address = (int(1, 223) * 2 ** 24 + int(0, 2 ** 24 - 1)) & (prefix === 32 ? -1 : ~(2 ** (32 - prefix) - 1));
    return `${[24, 16, 8, 0].map((shift) => (address >>> shift) & 255).join('.')}/${prefix}`;
  };
  const v6 = () => `fd${int(0, 255).toString(16).padStart(2, '0')}:${int(0, 0xffff).toString(16)}::/32`;
  const ipv6 = random() < 0.5;
  const cidr = () => (ipv6 && random() < 0.4 ? v6() : v4());
  const [inboundPort, outboundPort, adminPort] = [int(1000, 1999), int(2000, 2999), int(3000, 3999)];
  const excludeInboundPorts = some(4, () => int(1, 65535));
  const include = random() < 0.1 ? ['*'] : some(3, cidr);
  return {
    inboundPort, outboundPort, adminPort,
    proxyUid: int(1, 4294967294), proxyGid: int(1, 65535),
    inboundPorts: some(3, () => int(4000, 65535)).filter((p) => !excludeInboundPorts.includes(p)),
    excludeInboundPorts,
    excludeOutboundPorts: some(4, () => int(1, 65535)),
    includeOutboundCidrs: include,
    excludeOutboundCidrs: some(3, cidr).filter((c) => !include.includes(c)),
    excludeInboundSourceCidrs: some(3, cidr),
    ipv6,
  };
}

test('fromArgs(toArgs(spec)) equals spec for 200 random valid specs (seed 20250101)', () => {
  const random = mulberry32(20250101);
  for (let i = 0; i < 200; i++) {
    const spec = randomSpec(random);
    assert.deepEqual(validateCaptureSpec(spec), [], `random spec #${i} is valid: ${JSON.stringify(spec)}`);
    assert.deepEqual(fromArgs(toArgs(spec)), { ok: true, spec }, `random spec #${i}: ${toArgs(spec).join(' ')}`);
  }
});

test('fromArgs: flags left out keep their defaults; --flag=value and a bare --ipv6 are read', () => {
  assert.deepEqual(fromArgs([]), { ok: true, spec: defaultCaptureSpec() });
  assert.deepEqual(fromArgs(['--exclude-inbound-ports=22, 8081', '--ipv6', '--proxy-uid', '2102']), {
    ok: true,
    spec: { ...defaultCaptureSpec(), excludeInboundPorts: [22, 8081], ipv6: true, proxyUid: 2102 },
  });
  assert.deepEqual(fromArgs(['--ipv6', 'false', '--ipv6=true']), { ok: false, problems: ['--ipv6: given twice'] });
});

const bad: Array<[args: string[], problems: string[]]> = [
  [['--inbound-prot', '15006'], ['unknown flag --inbound-prot']],
  [['--dry-run'], ['unknown flag --dry-run']],
  [['15006'], ['unexpected argument "15006"']],
  [['--inbound-port'], ['--inbound-port: needs a value']],
  [['--inbound-port', '--ipv6'], ['--inbound-port: needs a value']],
  [['--inbound-port', 'http'], ['--inbound-port: "http" is not a whole number']],
  [['--inbound-port', '1', '--inbound-port', '2'], ['--inbound-port: given twice']],
  [['--exclude-inbound-ports', '22,,80'], ['--exclude-inbound-ports: "" is not a port (1-65535)']],
  [['--exclude-inbound-ports', '22,ssh,-1'], ['--exclude-inbound-ports: "ssh" is not a port (1-65535)', '--exclude-inbound-ports: "-1" is not a port (1-65535)']],
  [['--exclude-outbound-cidrs', '10.0.0.0/8,'], ['--exclude-outbound-cidrs: "10.0.0.0/8," has an empty entry']],
  [['--ipv6=yes'], ['--ipv6: "yes" is not true or false']],
  [['--ipv6', 'maybe'], ['--ipv6: "maybe" is not true or false']],
  // Values that parse still go through validateCaptureSpec.
  [['--inbound-port', '99999'], ['--inbound-port: 99999 is not a port (1-65535)']],
  [['--exclude-outbound-cidrs', 'fd00::/8'], ['--exclude-outbound-cidrs: fd00::/8 is IPv6 but --ipv6 is false']],
];

for (const [args, problems] of bad) {
  test(`fromArgs ${JSON.stringify(args)} names the problem`, () => {
    assert.deepEqual(fromArgs(args), { ok: false, problems });
  });
}
