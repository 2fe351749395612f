// Backend detection as a table: which probes lead to which backend, and which error when none works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliError } from './cli-error.ts';
import { binary, planBackend, type Probe } from './iptables-backend.ts';

const rules = (count: number): Probe => ({ kind: 'rules', count });
const missing: Probe = { kind: 'failed', missing: true, error: new CliError('command', 'init: iptables not found') };
const denied: Probe = { kind: 'failed', missing: false, error: new CliError('command', 'init: needs CAP_NET_ADMIN') };

const table: Array<[name: string, nft: Probe, legacy: Probe, chosen: string]> = [
  ['neither has rules: nft', rules(0), rules(0), 'nft (auto: no rules under either backend; nft preferred)'],
  ['both have rules: nft', rules(3), rules(5), 'nft (auto: rules under both backends; nft preferred)'],
  ['only legacy has rules (kube-proxy in legacy mode)', rules(0), rules(12), 'legacy (auto: the nat table has 12 rules under legacy, none under nft)'],
  ['only nft has rules', rules(1), rules(0), 'nft (auto: the nat table has 1 rule under nft, none under legacy)'],
  ['nft cannot be used', missing, rules(0), 'legacy (auto: iptables-nft cannot be used)'],
  ['legacy cannot be used', rules(0), denied, 'nft (auto: iptables-legacy cannot be used)'],
];

for (const [name, nft, legacy, chosen] of table) {
  test(`planBackend: ${name}`, () => {
    const backend = planBackend(nft, legacy);
    assert.ok(!('error' in backend));
    assert.equal(`${backend.name} (${backend.why})`, chosen);
  });
}

test('planBackend: when neither works, the more telling error (not "not found" when the other says more)', () => {
  assert.deepEqual(planBackend(missing, denied), { error: denied.error });
  assert.deepEqual(planBackend(denied, missing), { error: denied.error });
  assert.deepEqual(planBackend(missing, missing), { error: missing.error });
});

test('binary names follow Debian: iptables-nft, ip6tables-legacy-restore, ...', () => {
  assert.equal(binary('nft', 'v4'), 'iptables-nft');
  assert.equal(binary('legacy', 'v6', '-restore'), 'ip6tables-legacy-restore');
  assert.equal(binary('nft', 'v6', '-save'), 'ip6tables-nft-save');
});
