// Rules as text for iptables: the restore input that (re)fills our chains, and argv for single
// -C/-A/-D commands. Comments go where iptables-save prints them, just before the target.
import { INBOUND_CHAIN, OUTPUT_CHAIN, type Rule } from './plan-capture.ts';

export type RuleOp = '-C' | '-A' | '-D';

/**
 * Input for `iptables-restore --noflush`. In noflush mode a `:CHAIN` line creates the chain, or
 * flushes it when it exists, and leaves every other chain alone: so a re-run replaces our rules
 * instead of doubling them, and kube-proxy's or anyone's rules are never touched. Both chains are
 * always declared, so a spec that no longer needs a rule in a chain still empties it.
 */
export function renderRestore(rules: readonly Rule[]): string {
  const lines = ['*nat', `:${INBOUND_CHAIN} - [0:0]`, `:${OUTPUT_CHAIN} - [0:0]`];
  for (const rule of rules) lines.push(renderRuleLine(rule));
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/** `-A CHAIN ...` exactly as iptables-save prints the rule. */
export function renderRuleLine(rule: Rule): string {
  return ['-A', rule.chain, ...withComment(rule, `"${rule.comment}"`)].join(' ');
}

/** argv for `iptables -t nat <op> CHAIN ...`: check, append or delete this one rule. */
export function renderRuleArgs(rule: Rule, op: RuleOp): string[] {
  return ['-t', rule.table, op, rule.chain, ...withComment(rule, rule.comment)];
}

function withComment(rule: Rule, comment: string): string[] {
  const target = rule.args.indexOf('-j');
  const at = target < 0 ? rule.args.length : target;
  return [...rule.args.slice(0, at), '-m', 'comment', '--comment', comment, ...rule.args.slice(at)];
}
