// What `init --dry-run` prints: the commands a real run would execute, as a shell script that
// works as it is, to read, review or run by hand. It probes nothing and changes nothing, so it
// needs neither root nor iptables.
import { planCapture, planCleanup, planJumps, renderCleanupArgs, renderRestore, renderRuleArgs, type Family } from '@outrigger/netfilter';
import type { InitOptions } from './init-args.ts';
import { binary, XTABLES_WAIT } from './iptables-backend.ts';

export function renderDryRun(options: InitOptions): string {
  const { spec, backend } = options;
  const families: Family[] = spec.ipv6 ? ['v4', 'v6'] : ['v4'];
  // Without --backend the real run probes; the unsuffixed names are the distribution's default.
  const tool = (family: Family, suffix: '' | '-restore' = '') =>
    backend === 'auto' ? `${family === 'v4' ? 'iptables' : 'ip6tables'}${suffix}` : binary(backend, family, suffix);
  const command = (family: Family, args: readonly string[]) => [tool(family), ...XTABLES_WAIT, ...args].map(shellQuote).join(' ');
  const lines = [
    `# outrigger-injector init${options.cleanup ? ' --cleanup' : ''} --dry-run: nothing was changed.`,
    backend === 'auto'
      ? '# backend: probed at run time (--backend auto); "iptables" stands for iptables-nft or iptables-legacy'
      : `# backend: ${backend} (--backend)`,
  ];
  for (const family of families) {
    const name = family === 'v4' ? 'IPv4' : 'IPv6';
    if (options.cleanup) {
      lines.push(`# ${name}: remove our jumps (every copy), then our chains; a chain already gone is not an error`);
      for (const step of planCleanup(spec).filter((s) => s.family === family)) {
        const args = renderCleanupArgs(step);
        if (step.kind === 'delete-jump') {
          lines.push(`while ${command(family, renderRuleArgs(step.rule, '-C'))} 2>/dev/null; do ${command(family, args)}; done`);
        } else lines.push(command(family, args));
      }
      continue;
    }
    lines.push(`# ${name}: create or flush our chains and fill them; other chains are left alone`);
    lines.push(`${tool(family, '-restore')} ${XTABLES_WAIT.join(' ')} --noflush <<'EOF'`, renderRestore(planCapture(spec)[family]).trimEnd(), 'EOF');
    lines.push(`# ${name}: jump into them from the built-in chains, unless the jump is there already`);
    for (const jump of planJumps(spec)[family]) {
      lines.push(`${command(family, renderRuleArgs(jump, '-C'))} 2>/dev/null || ${command(family, renderRuleArgs(jump, '-A'))}`);
    }
  }
  return lines.join('\n');
}

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
