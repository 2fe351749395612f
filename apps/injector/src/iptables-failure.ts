// Turns an iptables command that could not start or that failed into one line a user can act on:
// the package to install, the capability to add, or the restore line the kernel refused.
import { CliError } from './cli-error.ts';
import type { CommandResult } from './command-runner.ts';

const CAPABILITY = 'needs CAP_NET_ADMIN (and NET_RAW): run as root or add the capabilities';

export function explainSpawnError(cmd: string, err: unknown): CliError {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    return new CliError('command', `init: iptables not found: install the iptables package (${cmd} is not on PATH)`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError('command', `init: cannot run ${cmd}: ${message}`, { cause: err });
}

/** The error for a command that ran and failed; `input` is what it read on stdin (restore text). */
export function explainFailure(cmd: string, args: readonly string[], result: CommandResult, input?: string): CliError {
  const stderr = result.stderr.trim();
  const first = stderr.split('\n')[0] ?? '';
  if (lacksCapability(result)) return new CliError('command', `init: ${CAPABILITY} (${cmd}: ${withoutVersion(first)})`);
  // "Error occurred at line: N" for a line it cannot parse; legacy says "line N failed" when the
  // kernel refuses the commit. nft names the COMMIT line when the kernel refuses the batch.
  const at = /Error occurred at line: (\d+)|line (\d+) failed/.exec(stderr);
  if (at !== null && input !== undefined) {
    const lineNo = Number(at[1] ?? at[2]);
    const line = input.split('\n')[lineNo - 1] ?? '';
    return new CliError('command', `init: ${cmd} refused line ${lineNo}: ${withoutVersion(first)}\n  ${lineNo} | ${line}`);
  }
  const why = stderr === '' ? 'no message' : stderr.split('\n').map(withoutVersion).join('; ');
  return new CliError('command', `init: ${cmd} ${args.join(' ')} failed (exit ${result.status}): ${why}`);
}

/**
 * iptables exits 4 ("resource problem") when it may not touch netfilter, but also when the xtables
 * lock stays busy or a chain is in use; the message tells them apart when it can.
 */
export function lacksCapability(result: CommandResult): boolean {
  if (/Permission denied|must be root|Operation not permitted/i.test(result.stderr)) return true;
  return result.status === 4 && !/lock|busy|in use|Directory not empty|Too many links/i.test(result.stderr);
}

// "iptables-nft-restore v1.8.9 (nf_tables): unknown option" -> "unknown option"
function withoutVersion(line: string): string {
  return line.replace(/^\S+ v\d+(\.\d+)*( \([^)]*\))?: */, '').trim();
}
