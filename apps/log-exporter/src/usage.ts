// The command line of outrigger-log-exporter: its flags and the --help text, kept together so that
// one cannot change without the other; docs/reference/log-exporter.md has the long form.
import type { ParseArgsOptionsConfig } from 'node:util';

export const OPTIONS = {
  config: { type: 'string', short: 'c' },
  check: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

export const USAGE = `usage: outrigger-log-exporter --config FILE [--check]

  --config FILE, -c FILE   the exporter config (YAML); see docs/reference/log-exporter.md
                           (default: the OUTRIGGER_CONFIG environment variable)
  --check                  validate the config and read the TLS files, then exit
  --help, -h               this text
`;
