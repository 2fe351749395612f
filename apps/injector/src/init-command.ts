// `init`: what the init container runs before the app starts. It installs the capture rules
// (or with --cleanup removes them) and prints what the kernel then holds of ours; --dry-run only
// prints the commands. The rules are @outrigger/netfilter's; this file picks the backend and reports.
import type { CliIo } from './cli-io.ts';
import { processRunner, type CommandRunner } from './command-runner.ts';
import { parseInitArgs } from './init-args.ts';
import { renderDryRun } from './init-dry-run.ts';
import { applyCapture, applyCleanup, type OwnLines } from './iptables.ts';
import { binary, detectBackend, type Backend } from './iptables-backend.ts';

export async function runInit(argv: readonly string[], io: CliIo, runner: CommandRunner = processRunner): Promise<number> {
  const command = parseInitArgs(argv);
  if (command.kind === 'help') {
    io.out(command.text);
    return 0;
  }
  const { options } = command;
  if (options.dryRun) {
    io.out(renderDryRun(options));
    return 0;
  }
  const backend: Backend = options.backend === 'auto' ? await detectBackend(runner) : { name: options.backend, why: '--backend' };
  io.out(`init: using ${binary(backend.name, 'v4')} (${backend.why})`);
  if (options.cleanup) {
    const left = await applyCleanup(runner, backend.name, options.spec);
    io.out('init: removed our jumps and chains');
    io.out(renderOwnLines(left));
  } else {
    io.out(renderOwnLines(await applyCapture(runner, backend.name, options.spec)));
  }
  return 0;
}

function renderOwnLines(own: OwnLines): string {
  return own.map(({ save, lines }) => (lines.length === 0 ? `# ${save}: none of ours` : [`# ${save}: ours`, ...lines].join('\n'))).join('\n');
}
