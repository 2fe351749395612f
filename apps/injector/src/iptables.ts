// Applying and removing the capture rules with real iptables commands. The rules themselves come
// from @outrigger/netfilter; this file only runs them, checks each result, and reads back what
// the kernel holds.
import {
  parseOwnLines,
  planCapture,
  planCleanup,
  planJumps,
  renderCleanupArgs,
  renderRestore,
  renderRuleArgs,
  type CaptureSpec,
  type Family,
  type Rule,
} from '@outrigger/netfilter';
import type { CommandResult, CommandRunner } from './command-runner.ts';
import { binary, XTABLES_WAIT, type BackendName } from './iptables-backend.ts';
import { explainFailure, explainSpawnError, lacksCapability } from './iptables-failure.ts';
import { CliError } from './cli-error.ts';

/** What iptables-save shows of ours afterwards, per family it was run for. */
export type OwnLines = Array<{ family: Family; save: string; lines: string[] }>;

const familiesOf = (spec: CaptureSpec): Family[] => (spec.ipv6 ? ['v4', 'v6'] : ['v4']);

/**
 * Idempotent: the restore text creates our chains or flushes and refills them, and a jump is added
 * only when `-C` does not find it. Running it twice leaves the same rules as running it once.
 */
export async function applyCapture(runner: CommandRunner, backend: BackendName, spec: CaptureSpec): Promise<OwnLines> {
  const rules = planCapture(spec);
  const jumps = planJumps(spec);
  for (const family of familiesOf(spec)) {
    const text = renderRestore(rules[family]);
    await runChecked(runner, binary(backend, family, '-restore'), [...XTABLES_WAIT, '--noflush'], text);
    for (const jump of jumps[family]) {
      const cmd = binary(backend, family);
      if (!(await ruleExists(runner, cmd, jump))) await runChecked(runner, cmd, [...XTABLES_WAIT, ...renderRuleArgs(jump, '-A')]);
    }
  }
  return readOwnLines(runner, backend, familiesOf(spec));
}

/** Removes our jumps and chains and nothing else; what is already gone is not an error. */
export async function applyCleanup(runner: CommandRunner, backend: BackendName, spec: CaptureSpec): Promise<OwnLines> {
  for (const step of planCleanup(spec)) {
    const cmd = binary(backend, step.family);
    const args = [...XTABLES_WAIT, ...renderCleanupArgs(step)];
    if (step.kind === 'delete-jump') {
      // A jump added twice (by hand, or by an old init) is deleted twice; the bound only guards
      // against an iptables that says the rule exists but never deletes it.
      for (let n = 0; n < 100 && (await ruleExists(runner, cmd, step.rule)); n++) await runChecked(runner, cmd, args);
      continue;
    }
    const result = await runCommand(runner, cmd, args);
    if (result.status !== 0 && !(result.status === 1 && /No chain\/target\/match/.test(result.stderr))) throw explainFailure(cmd, args, result);
  }
  const left = await readOwnLines(runner, backend, familiesOf(spec));
  const remaining = left.flatMap((f) => f.lines);
  if (remaining.length > 0) throw new CliError('command', `init: cleanup left rules behind:\n${remaining.join('\n')}`);
  return left;
}

export async function readOwnLines(runner: CommandRunner, backend: BackendName, families: Family[]): Promise<OwnLines> {
  const out: OwnLines = [];
  for (const family of families) {
    const cmd = binary(backend, family, '-save');
    const result = await runChecked(runner, cmd, ['-t', 'nat']);
    out.push({ family, save: `${cmd} -t nat`, lines: parseOwnLines(result.stdout) });
  }
  return out;
}

/**
 * `-C` exits 1 when the rule is absent, and 2 when the chain it jumps to does not exist (nft:
 * "Chain ... does not exist", legacy: "Couldn't load target"): absent too, for cleanup's sake.
 */
async function ruleExists(runner: CommandRunner, cmd: string, rule: Rule): Promise<boolean> {
  const args = [...XTABLES_WAIT, ...renderRuleArgs(rule, '-C')];
  const result = await runCommand(runner, cmd, args);
  if (result.status === 0) return true;
  if (lacksCapability(result)) throw explainFailure(cmd, args, result);
  if (result.status === 1 || (result.status === 2 && /does not exist|Couldn't load target|No chain/.test(result.stderr))) return false;
  throw explainFailure(cmd, args, result);
}

async function runChecked(runner: CommandRunner, cmd: string, args: string[], input?: string): Promise<CommandResult> {
  const result = await runCommand(runner, cmd, args, input);
  if (result.status !== 0) throw explainFailure(cmd, args, result, input);
  return result;
}

async function runCommand(runner: CommandRunner, cmd: string, args: string[], input?: string): Promise<CommandResult> {
  try {
    return await runner.run(cmd, args, input);
  } catch (err) {
    throw explainSpawnError(cmd, err);
  }
}
