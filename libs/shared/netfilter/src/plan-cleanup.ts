// Undoing capture: the ordered steps that remove exactly what apply adds (our two jumps and our
// two chains) and nothing else, plus picking our lines out of iptables-save to show what is left.
import type { CaptureSpec } from './capture-spec.ts';
import type { Family } from './cidr.ts';
import { INBOUND_CHAIN, OUTPUT_CHAIN, planJumps, type Rule } from './plan-capture.ts';
import { renderRuleArgs } from './render-restore.ts';

export type CleanupStep =
  /** Run `-D` for as long as `-C` finds the jump: a rule added twice by hand goes too. */
  | { kind: 'delete-jump'; family: Family; rule: Rule }
  | { kind: 'flush-chain'; family: Family; chain: string }
  | { kind: 'delete-chain'; family: Family; chain: string };

/**
 * Jumps go first (the kernel refuses to delete a chain something still jumps to), then both
 * chains are flushed before either is deleted, as Linkerd does. A chain that is already gone is
 * not an error for the runner: cleanup after a partial apply must still finish.
 */
export function planCleanup(spec: CaptureSpec): CleanupStep[] {
  const jumps = planJumps(spec);
  const families: Family[] = spec.ipv6 ? ['v4', 'v6'] : ['v4'];
  return families.flatMap((family): CleanupStep[] => [
    ...jumps[family].map((rule): CleanupStep => ({ kind: 'delete-jump', family, rule })),
    ...[INBOUND_CHAIN, OUTPUT_CHAIN].map((chain): CleanupStep => ({ kind: 'flush-chain', family, chain })),
    ...[INBOUND_CHAIN, OUTPUT_CHAIN].map((chain): CleanupStep => ({ kind: 'delete-chain', family, chain })),
  ]);
}

/** argv for `iptables` (or ip6tables, per step.family) that performs the step. */
export function renderCleanupArgs(step: CleanupStep): string[] {
  switch (step.kind) {
    case 'delete-jump':
      return renderRuleArgs(step.rule, '-D');
    case 'flush-chain':
      return ['-t', 'nat', '-F', step.chain];
    case 'delete-chain':
      return ['-t', 'nat', '-X', step.chain];
  }
}

/** The lines of `iptables-save -t nat` output that are ours: our chains and the jumps to them. */
export function parseOwnLines(save: string): string[] {
  const ours = new RegExp(`\\b(${INBOUND_CHAIN}|${OUTPUT_CHAIN})\\b`);
  return save.split('\n').filter((line) => !line.startsWith('#') && ours.test(line));
}
