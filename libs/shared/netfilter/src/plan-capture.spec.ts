// The planned rules as golden restore files, one per named case and family (testdata/<case>.v4.rules,
// .v6.rules when the case turns on IPv6). UPDATE_GOLDEN=1 rewrites them; a mismatch prints a
// unified diff. Then the properties every plan must have, whatever the case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCaptureSpec, validateCaptureSpec, type CaptureSpec } from './capture-spec.ts';
import { planCapture, planJumps } from './plan-capture.ts';
import { renderRestore } from './render-restore.ts';
import { unifiedDiff } from '@outrigger/testing';

const TESTDATA = join(import.meta.dirname, 'testdata');
const update = process.env['UPDATE_GOLDEN'] === '1';

const cases: Array<[name: string, change: Partial<CaptureSpec>]> = [
  ['defaults', {}],
  ['exclude-inbound-ports', { excludeInboundPorts: [22, 8081, 15020] }],
  ['exclude-outbound-ports', { excludeOutboundPorts: [25, 3306] }],
  // IPv4 blocks only, with IPv6 on: the v6 chain captures no outbound traffic at all.
  ['include-outbound-cidrs', { includeOutboundCidrs: ['10.0.0.0/8', '198.18.0.0/15'], ipv6: true }],
  ['exclude-outbound-cidrs', { excludeOutboundCidrs: ['169.254.169.254/32', '10.96.0.0/12'] }],
  ['exclude-inbound-source-cidrs', { excludeInboundSourceCidrs: ['198.18.0.0/15'] }],
  ['ipv6', {
    ipv6: true,
    excludeInboundPorts: [22],
    excludeOutboundPorts: [53],
    includeOutboundCidrs: ['10.0.0.0/8', 'fd00::/8'],
    excludeOutboundCidrs: ['169.254.169.254/32', 'fd00:ec2::254/128'],
    excludeInboundSourceCidrs: ['198.18.0.0/15', 'fd00:1::/64'],
  }],
  ['listed-port-inbound', { inboundPorts: [8080, 9090], excludeInboundPorts: [22] }],
];

const specOf = (change: Partial<CaptureSpec>): CaptureSpec => ({ ...defaultCaptureSpec(), ...change });

function checkGolden(file: string, actual: string): void {
  const path = join(TESTDATA, file);
  if (update) writeFileSync(path, actual);
  let expected: string;
  try {
    expected = readFileSync(path, 'utf8');
  } catch {
    assert.fail(`missing golden file testdata/${file}; run with UPDATE_GOLDEN=1 to create it`);
  }
  if (expected !== actual) {
    assert.fail(`testdata/${file} differs (UPDATE_GOLDEN=1 rewrites it):\n${unifiedDiff(expected, actual, `testdata/${file}`)}`);
  }
}

for (const [name, change] of cases) {
  test(`golden: ${name}`, () => {
    const spec = specOf(change);
    assert.deepEqual(validateCaptureSpec(spec), []);
    const plan = planCapture(spec);
    checkGolden(`${name}.v4.rules`, renderRestore(plan.v4));
    if (spec.ipv6) checkGolden(`${name}.v6.rules`, renderRestore(plan.v6));
    else assert.deepEqual(plan.v6, [], 'no IPv6 rules without --ipv6');
  });
}

test('testdata holds exactly the golden files of the cases (no stale ones)', () => {
  const expected = cases.flatMap(([name, change]) => [`${name}.v4.rules`, ...(specOf(change).ipv6 ? [`${name}.v6.rules`] : [])]);
  assert.deepEqual(readdirSync(TESTDATA).filter((f) => f.endsWith('.rules')).sort(), expected.sort());
});

for (const [name, change] of cases) {
  test(`plan properties: ${name}`, () => {
    const spec = specOf(change);
    const plan = planCapture(spec);
    for (const family of ['v4', 'v6'] as const) {
      const rules = plan[family];
      if (rules.length === 0) continue;
      const inbound = rules.filter((r) => r.chain === 'OUTRIGGER_INBOUND').map((r) => r.comment);
      const outbound = rules.filter((r) => r.chain === 'OUTRIGGER_OUTPUT').map((r) => r.comment);
      assert.deepEqual(rules.map((r) => r.chain), [...inbound.map(() => 'OUTRIGGER_INBOUND'), ...outbound.map(() => 'OUTRIGGER_OUTPUT')], 'inbound chain first');
      // DESIGN section 3's order: every RETURN before any REDIRECT, proxy ports first, then ports, then blocks.
      assert.deepEqual(inbound.slice(0, 3), [15001, 15006, 15020].map((p) => `outrigger/inbound-skip-proxy-port-${p}`));
      assert.deepEqual(outbound.slice(0, 3), ['outrigger/outbound-skip-proxy-uid', 'outrigger/outbound-skip-proxy-gid', 'outrigger/outbound-skip-loopback']);
      for (const chain of [inbound, outbound]) {
        const kinds = chain.map((c) => (c.includes('-skip-proxy-') || c.includes('-loopback') ? 0 : c.includes('-skip-port-') ? 1 : c.includes('-skip-') ? 2 : 3));
        assert.deepEqual(kinds, [...kinds].sort(), `${family} order of ${chain.join(', ')}`);
      }
      for (const rule of rules) {
        assert.match(rule.comment, /^outrigger\/[a-z0-9.:/-]+$/, 'a comment iptables-restore takes without escaping');
        assert.equal(rule.args.filter((a) => a === '-j').length, 1, 'one target per rule');
      }
      const other = family === 'v4' ? ':' : '.';
      assert.ok(rules.every((r) => !r.args.some((a) => a.includes('/') && a.includes(other))), `only ${family} blocks in ${family} rules`);
    }
  });
}

test('listed-port mode redirects the listed ports only; an excluded port never also redirects', () => {
  const rules = planCapture(specOf({ inboundPorts: [8080, 9090] })).v4.filter((r) => r.args.includes('REDIRECT') && r.chain === 'OUTRIGGER_INBOUND');
  assert.deepEqual(rules.map((r) => r.args.join(' ')), [
    '-p tcp -m tcp --dport 8080 -j REDIRECT --to-ports 15006',
    '-p tcp -m tcp --dport 9090 -j REDIRECT --to-ports 15006',
  ]);
});

test('planJumps: one jump per chain and family, TCP only', () => {
  const jumps = planJumps(specOf({ ipv6: true }));
  assert.deepEqual(jumps.v4, jumps.v6);
  assert.deepEqual(jumps.v4.map((r) => [r.chain, ...r.args, r.comment].join(' ')), [
    'PREROUTING -p tcp -j OUTRIGGER_INBOUND outrigger/inbound-jump',
    'OUTPUT -p tcp -j OUTRIGGER_OUTPUT outrigger/outbound-jump',
  ]);
  assert.deepEqual(planJumps(defaultCaptureSpec()).v6, []);
});

test('a golden mismatch reads as a unified diff with context', () => {
  const golden = ['*nat', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'COMMIT', ''].join('\n');
  const actual = ['*nat', 'a', 'b', 'C', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'COMMIT', ''].join('\n');
  assert.equal(unifiedDiff(golden, actual, 'x.rules'), [
    '--- x.rules (golden)', '+++ x.rules (actual)',
    '@@ -1,7 +1,7 @@', ' *nat', ' a', ' b', '-c', '+C', ' d', ' e', ' f',
    '@@ -9,5 +9,6 @@', ' h', ' i', ' j', '+k', ' COMMIT', ' ',
  ].join('\n'));
  assert.match(unifiedDiff('a\nb\nc\n', 'a\nB\nc\n', 'y'), /^--- y \(golden\)\n\+\+\+ y \(actual\)\n@@ -1,4 \+1,4 @@\n a\n-b\n\+B\n c\n $/);
});
