// `ca init` and `ca issue` arguments, read into plain options and checked before any file is
// touched, so every mistake is reported against the flag that carries it.
import { validateSpiffeId } from '@outrigger/pki';
import { CliError } from './cli-error.ts';
import { parseFlags, positiveInteger, required } from './flags.ts';
import { CA_INIT_USAGE, CA_ISSUE_USAGE, CA_USAGE } from './usage.ts';

export interface CaInitOptions {
  dir: string;
  trustDomain: string;
  validityDays: number;
  force: boolean;
}

export interface CaIssueOptions {
  caDir: string;
  out: string;
  namespace: string;
  serviceAccount: string;
  trustDomain: string | undefined; // undefined: take the CA's
  dnsNames: string[];
  ipAddresses: string[];
  validityHours: number;
}

export type CaCommand =
  | { kind: 'help'; text: string }
  | { kind: 'init'; options: CaInitOptions }
  | { kind: 'issue'; options: CaIssueOptions };

export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
// Placeholders that are always valid, so each part of an identity can be checked on its own.
const PLACEHOLDER = { trustDomain: DEFAULT_TRUST_DOMAIN, namespace: 'default', serviceAccount: 'default' };

export function parseCaArgs(argv: string[]): CaCommand {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') return { kind: 'help', text: CA_USAGE };
  if (sub === 'init') return parseInit(rest);
  if (sub === 'issue') return parseIssue(rest);
  const what = sub === undefined ? 'ca: missing subcommand' : `ca: unknown subcommand ${JSON.stringify(sub)}`;
  throw new CliError('usage', `${what}\n\n${CA_USAGE}`);
}

function parseInit(argv: string[]): CaCommand {
  const command = 'ca init';
  const flags = parseFlags(command, argv, {
    dir: { type: 'string' },
    'trust-domain': { type: 'string' },
    'validity-days': { type: 'string' },
    force: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) return { kind: 'help', text: CA_INIT_USAGE };
  const trustDomain = flags['trust-domain'] ?? DEFAULT_TRUST_DOMAIN;
  checkPart(command, 'trust-domain', validateSpiffeId({ ...PLACEHOLDER, trustDomain }));
  return {
    kind: 'init',
    options: {
      dir: required(command, 'dir', flags.dir),
      trustDomain,
      validityDays: positiveInteger(command, 'validity-days', flags['validity-days'], 365),
      force: flags.force ?? false,
    },
  };
}

function parseIssue(argv: string[]): CaCommand {
  const command = 'ca issue';
  const flags = parseFlags(command, argv, {
    'ca-dir': { type: 'string' },
    out: { type: 'string' },
    namespace: { type: 'string' },
    'service-account': { type: 'string' },
    'trust-domain': { type: 'string' },
    dns: { type: 'string', multiple: true },
    ip: { type: 'string', multiple: true },
    'validity-hours': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) return { kind: 'help', text: CA_ISSUE_USAGE };
  const caDir = required(command, 'ca-dir', flags['ca-dir']);
  const out = required(command, 'out', flags.out);
  const namespace = required(command, 'namespace', flags.namespace);
  const serviceAccount = required(command, 'service-account', flags['service-account']);
  const trustDomain = flags['trust-domain'];
  if (trustDomain !== undefined) checkPart(command, 'trust-domain', validateSpiffeId({ ...PLACEHOLDER, trustDomain }));
  checkPart(command, 'namespace', validateSpiffeId({ ...PLACEHOLDER, namespace }));
  checkPart(command, 'service-account', validateSpiffeId({ ...PLACEHOLDER, serviceAccount }));
  return {
    kind: 'issue',
    options: {
      caDir,
      out,
      namespace,
      serviceAccount,
      trustDomain,
      dnsNames: flags.dns ?? [],
      ipAddresses: flags.ip ?? [],
      validityHours: positiveInteger(command, 'validity-hours', flags['validity-hours'], 24),
    },
  };
}

function checkPart(command: string, flag: string, problem: string | undefined): void {
  if (problem !== undefined) throw new CliError('invalid-flag', `${command}: --${flag}: ${problem}`);
}
