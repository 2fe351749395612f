// Rendering: the restore text's frame, a rule as an -A line and as argv, and where comments go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCaptureSpec } from './capture-spec.ts';
import { planCapture, planJumps, type Rule } from './plan-capture.ts';
import { renderRestore, renderRuleArgs, renderRuleLine } from './render-restore.ts';

const redirect: Rule = { table: 'nat', chain: 'OUTRIGGER_OUTPUT', args: ['-p', 'tcp', '-j', 'REDIRECT', '--to-ports', '15001'], comment: 'outrigger/outbound-redirect' };

test('renderRestore declares both chains (which --noflush flushes), then the rules, then COMMIT', () => {
  assert.equal(renderRestore([redirect]), [
    '*nat',
    ':OUTRIGGER_INBOUND - [0:0]',
    ':OUTRIGGER_OUTPUT - [0:0]',
    '-A OUTRIGGER_OUTPUT -p tcp -m comment --comment "outrigger/outbound-redirect" -j REDIRECT --to-ports 15001',
    'COMMIT',
    '',
  ].join('\n'));
  assert.equal(renderRestore([]), '*nat\n:OUTRIGGER_INBOUND - [0:0]\n:OUTRIGGER_OUTPUT - [0:0]\nCOMMIT\n', 'an empty plan still empties our chains');
});

test('renderRestore holds no line for a built-in chain: the jumps are added one by one', () => {
  const text = renderRestore(planCapture({ ...defaultCaptureSpec(), ipv6: true }).v4);
  assert.doesNotMatch(text, /PREROUTING|OUTPUT ACCEPT|-A OUTPUT |-[FXPN] /);
});

test('renderRuleLine puts the comment before the target, as iptables-save prints it', () => {
  assert.equal(renderRuleLine(redirect), '-A OUTRIGGER_OUTPUT -p tcp -m comment --comment "outrigger/outbound-redirect" -j REDIRECT --to-ports 15001');
});

test('renderRuleArgs gives argv for -C, -A and -D, the comment unquoted (no shell in between)', () => {
  const [jump] = planJumps(defaultCaptureSpec()).v4;
  assert.ok(jump);
  for (const op of ['-C', '-A', '-D'] as const) {
    assert.deepEqual(renderRuleArgs(jump, op), ['-t', 'nat', op, 'PREROUTING', '-p', 'tcp', '-m', 'comment', '--comment', 'outrigger/inbound-jump', '-j', 'OUTRIGGER_INBOUND']);
  }
});

test('rendering does not change the rule it is given', () => {
  const copy = structuredClone(redirect);
  renderRuleLine(redirect);
  renderRuleArgs(redirect, '-A');
  assert.deepEqual(redirect, copy);
});
