// `init` arguments: the capture flags (read by @outrigger/netfilter's fromArgs, so the injector's
// toArgs and this command always agree) plus init's own --dry-run, --cleanup and --backend.
// Any mistake is a usage error (exit 2): an init container with bad args will never succeed.
import { closest } from '@outrigger/inject';
import { CAPTURE_FLAGS, fromArgs, type CaptureSpec } from '@outrigger/netfilter';
import { CliError } from './cli-error.ts';
import type { BackendChoice } from './iptables-backend.ts';
import { INIT_USAGE } from './usage.ts';

export interface InitOptions {
  spec: CaptureSpec;
  dryRun: boolean;
  cleanup: boolean;
  backend: BackendChoice;
}

export type InitCommand = { kind: 'help'; text: string } | { kind: 'init'; options: InitOptions };

const OWN_FLAGS = ['--dry-run', '--cleanup', '--backend', '--help'];
const BACKENDS: readonly BackendChoice[] = ['auto', 'nft', 'legacy'];

export function parseInitArgs(argv: readonly string[]): InitCommand {
  const problems: string[] = [];
  const capture: string[] = [];
  let dryRun = false;
  let cleanup = false;
  let backend: string | undefined;
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help', text: INIT_USAGE };
  // Capture values never start with '--' (ports, blocks, true/false), so init's own flags can be
  // picked out of the list before fromArgs reads the rest.
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    const flag = token.split('=', 1)[0] ?? '';
    if (token === '--dry-run') dryRun = true;
    else if (token === '--cleanup') cleanup = true;
    else if (flag === '--backend') {
      if (backend !== undefined) problems.push('--backend: given twice');
      const next = argv[i + 1];
      backend = token.includes('=') ? token.slice('--backend='.length) : next !== undefined && !next.startsWith('--') ? argv[++i] : '';
    } else if (token.startsWith('--') && !CAPTURE_FLAGS.includes(flag)) {
      const known = [...OWN_FLAGS, ...CAPTURE_FLAGS].map((f) => f.slice(2));
      const suggestion = closest(flag.slice(2), known);
      problems.push(`unknown flag ${flag}${suggestion === undefined ? '' : ` (did you mean --${suggestion}?)`}`);
      const next = argv[i + 1];
      if (!token.includes('=') && next !== undefined && !next.startsWith('--')) i++; // its value is no second problem
    } else capture.push(token);
  }
  const choice = backend ?? 'auto';
  if (!isBackendChoice(choice)) problems.push(`--backend: ${JSON.stringify(choice)} is not one of ${BACKENDS.join(', ')}`);
  const parsed = fromArgs(capture);
  if (!parsed.ok) problems.push(...parsed.problems);
  if (problems.length > 0 || !parsed.ok || !isBackendChoice(choice)) {
    throw new CliError('usage', `${problems.map((p) => `init: ${p}`).join('\n')}\n(see 'outrigger-injector init --help')`);
  }
  return { kind: 'init', options: { spec: parsed.spec, dryRun, cleanup, backend: choice } };
}

function isBackendChoice(value: string): value is BackendChoice {
  return (BACKENDS as readonly string[]).includes(value);
}
