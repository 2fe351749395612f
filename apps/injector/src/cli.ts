// Dispatches outrigger-injector's commands and turns every failure into a message and an exit
// code: 0 done, 1 failed (a bad flag or file, a failing iptables, named in the message), 2 unknown
// command (and for `init`, any bad argument: see cli-error.ts).
import { runCa } from './ca-command.ts';
import { runCaSigner } from './ca-signer-command.ts';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { runInit } from './init-command.ts';
import { runInject } from './inject-command.ts';
import { runManifests } from './manifests-command.ts';
import { runWaitReady } from './wait-ready-command.ts';
import { runWebhook } from './webhook-command.ts';
import { MAIN_USAGE } from './usage.ts';

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        io.err(MAIN_USAGE);
        return 2;
      case '--help':
      case '-h':
      case 'help':
        io.out(MAIN_USAGE);
        return 0;
      case 'ca':
        return await runCa(rest, io);
      case 'ca-signer':
        return await runCaSigner(rest, io);
      case 'init':
        return await runInit(rest, io);
      case 'webhook':
        return await runWebhook(rest, io);
      case 'inject':
        return await runInject(rest, io);
      case 'manifests':
        return await runManifests(rest, io);
      case 'wait-ready':
        return await runWaitReady(rest, io);
      default:
        io.err(`outrigger-injector: unknown command ${JSON.stringify(command)}\n\n${MAIN_USAGE}`);
        return 2;
    }
  } catch (err) {
    io.err(describeFailure(err));
    return err instanceof CliError ? err.exitCode : 1;
  }
}

// A CLI user needs what went wrong, not where in our code: messages only, causes included.
function describeFailure(err: unknown): string {
  if (err instanceof CliError) return err.message;
  const messages: string[] = [];
  for (let e: unknown = err; e !== undefined && messages.length < 5; e = e instanceof Error ? e.cause : undefined) {
    messages.push(e instanceof Error ? e.message : String(e));
  }
  return `outrigger-injector: ${messages.join(': ')}`;
}
