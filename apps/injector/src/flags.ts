// Flag parsing shared by the commands: node's strict parseArgs, with its errors rewritten to name
// the command and the flag, and a suggestion for a typo.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '@outrigger/inject';
import { CliError } from './cli-error.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== undefined) {
      const suggestion = closest(unknown.replace(/^-+/, ''), Object.keys(options));
      const hint = suggestion === undefined ? `see '${command} --help'` : `did you mean --${suggestion}?`;
      throw new CliError('invalid-flag', `${command}: unknown flag ${unknown} (${hint})`, { cause: err });
    }
    const stray = /^Unexpected argument '([^']*)'/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && stray !== undefined) {
      // Most often a value given to a switch (`--ipv6 false`): say so, since the switch itself was fine.
      const before = argv[argv.indexOf(stray) - 1]?.replace(/^--/, '');
      const why = before !== undefined && options[before]?.type === 'boolean'
        ? `--${before} is a switch and takes no value: give --${before} to turn it on, leave it out for off`
        : `${command} takes flags only (see '${command} --help')`;
      throw new CliError('invalid-flag', `${command}: unexpected argument ${JSON.stringify(stray)}: ${why}`, { cause: err });
    }
    // node's own messages already name the flag ("Option '--dir <value>' argument missing").
    throw new CliError('invalid-flag', `${command}: ${message.replace(/\s*\n\s*/g, ' ')}`, { cause: err });
  }
}

export function required(command: string, flag: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new CliError('invalid-flag', `${command}: --${flag} is required (see '${command} --help')`);
  return value;
}

export function positiveInteger(command: string, flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[1-9][0-9]{0,8}$/.test(value)) {
    throw new CliError('invalid-flag', `${command}: --${flag} must be a whole number above 0 (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}
