#!/usr/bin/env node
// outrigger-injector: the composition root. It only binds the CLI to the process; the commands
// live in cli.ts and the files it dispatches to.
import { runCli } from './cli.ts';

// exitCode rather than exit(): let stdout and stderr drain before the process ends.
process.exitCode = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
