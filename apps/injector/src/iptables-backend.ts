// Which iptables to drive: nft or legacy. Both front ends can hold nat rules in the same network
// namespace, and the kernel runs both sets; our rules must sit beside the ones already there (the
// CNI's, kube-proxy's on a host) so that whoever reads them with the same tool sees the whole picture.
import type { Family } from '@outrigger/netfilter';
import type { CliError } from './cli-error.ts';
import type { CommandRunner } from './command-runner.ts';
import { explainFailure, explainSpawnError } from './iptables-failure.ts';

export type BackendName = 'nft' | 'legacy';
export type BackendChoice = 'auto' | BackendName;

export interface Backend {
  name: BackendName;
  /** Why this one, for the first line init prints. */
  why: string;
}

/** A failed probe's `missing` says the binary is not installed, which matters less than other errors. */
export type Probe = { kind: 'rules'; count: number } | { kind: 'failed'; missing: boolean; error: CliError };

// Wait up to this long for the xtables lock (legacy takes one lock per host, not per netns) rather
// than fail at once when another iptables runs; nft accepts and ignores the flag.
export const XTABLES_WAIT = ['-w', '10'];

const rules = (n: number) => `${n} ${n === 1 ? 'rule' : 'rules'}`;

export function binary(backend: BackendName, family: Family, tool: '' | '-restore' | '-save' = ''): string {
  return `${family === 'v4' ? 'iptables' : 'ip6tables'}-${backend}${tool}`;
}

/**
 * The backend whose nat table already has rules; nft when both have some or neither has any.
 * Istio chooses the same way (nft if it has rules, else legacy if it has, else the distribution's
 * default, which is nft on current Debian and RHEL). Linkerd (after Calico) breaks ties toward
 * legacy; we do not, because nft is where the distributions went and the legacy kernel modules may
 * be missing altogether. A backend whose probe fails (binary or kernel support missing) is out.
 * Only IPv4 is probed: ip6tables always follows the same choice.
 */
export function planBackend(nft: Probe, legacy: Probe): Backend | { error: CliError } {
  if (nft.kind === 'failed' && legacy.kind === 'failed') return { error: nft.missing && !legacy.missing ? legacy.error : nft.error };
  if (nft.kind === 'failed') return { name: 'legacy', why: `auto: ${binary('nft', 'v4')} cannot be used` };
  if (legacy.kind === 'failed') return { name: 'nft', why: `auto: ${binary('legacy', 'v4')} cannot be used` };
  if (legacy.count > 0 && nft.count === 0) return { name: 'legacy', why: `auto: the nat table has ${rules(legacy.count)} under legacy, none under nft` };
  if (nft.count > 0 && legacy.count === 0) return { name: 'nft', why: `auto: the nat table has ${rules(nft.count)} under nft, none under legacy` };
  return { name: 'nft', why: `auto: ${nft.count === 0 ? 'no rules under either backend' : 'rules under both backends'}; nft preferred` };
}

export async function detectBackend(runner: CommandRunner): Promise<Backend> {
  const [nft, legacy] = await Promise.all([probe(runner, 'nft'), probe(runner, 'legacy')]);
  const chosen = planBackend(nft, legacy);
  if ('error' in chosen) throw chosen.error;
  return chosen;
}

/** `iptables-<backend> -t nat -S`: user chains (-N) and rules (-A) count; the policies (-P) do not. */
async function probe(runner: CommandRunner, backend: BackendName): Promise<Probe> {
  const cmd = binary(backend, 'v4');
  const args = [...XTABLES_WAIT, '-t', 'nat', '-S'];
  try {
    const result = await runner.run(cmd, args);
    if (result.status !== 0) return { kind: 'failed', missing: false, error: explainFailure(cmd, args, result) };
    return { kind: 'rules', count: result.stdout.split('\n').filter((line) => /^-[NA] /.test(line)).length };
  } catch (err) {
    return { kind: 'failed', missing: (err as NodeJS.ErrnoException).code === 'ENOENT', error: explainSpawnError(cmd, err) };
  }
}
