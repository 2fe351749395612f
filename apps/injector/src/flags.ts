// Flag parsing shared by the commands: node's strict parseArgs, with its errors rewritten to name
// the command and the flag, and a suggestion for a typo.
import { parseArgs, type ParseArgsConfig } from 'node:util';
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

/** The known flag nearest to a typo, if it is near enough to be what was meant. */
export function closest(typo: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(typo, name);
    if (distance <= Math.max(2, Math.floor(name.length / 4)) && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
