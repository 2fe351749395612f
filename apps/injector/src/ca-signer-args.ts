// `ca-signer` arguments, read into plain options and checked before anything listens, so each
// mistake is reported against its flag. Defaults suit a Pod in the outrigger-system namespace.
import { validateSpiffeId } from '@outrigger/pki';
import { CliError } from './cli-error.ts';
import { parseFlags, positiveInteger, required } from './flags.ts';
import { CA_SIGNER_USAGE } from './usage.ts';

export interface CaSignerOptions {
  caDir: string;
  host: string;
  port: number; // 0: any free port, reported in the "listening" log line
  /** The serving certificate from files; undefined: issue one from the CA at start. */
  tlsFiles: { cert: string; key: string } | undefined;
  trustDomain: string | undefined; // undefined: the CA's
  namespace: string;
  serviceAccount: string;
  dnsNames: string[];
  ipAddresses: string[];
  kubeApi: string;
  kubeTokenFile: string;
  kubeCaFile: string;
  audience: string;
  validitySeconds: number;
}

export type CaSignerCommand = { kind: 'help'; text: string } | { kind: 'run'; options: CaSignerOptions };

const COMMAND = 'ca-signer';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const MAX_VALIDITY_HOURS = 168; // a week: past that a stolen certificate outlives any response to it
const PLACEHOLDER = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'default' };

/** The signer's flags, shared with `webhook`, which runs the signer in the same process. */
export const SIGNER_FLAGS = {
  'ca-dir': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'trust-domain': { type: 'string' },
  namespace: { type: 'string' },
  'service-account': { type: 'string' },
  dns: { type: 'string', multiple: true },
  ip: { type: 'string', multiple: true },
  'kube-api': { type: 'string' },
  'kube-token-file': { type: 'string' },
  'kube-ca-file': { type: 'string' },
  audience: { type: 'string' },
  'validity-hours': { type: 'string' },
  'validity-seconds': { type: 'string' },
} as const;

type SignerFlagValues = { [K in keyof typeof SIGNER_FLAGS]?: (typeof SIGNER_FLAGS)[K] extends { multiple: true } ? string[] : string };

export function parseCaSignerArgs(argv: string[], env: NodeJS.ProcessEnv): CaSignerCommand {
  const flags = parseFlags(COMMAND, argv, { ...SIGNER_FLAGS, listen: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) return { kind: 'help', text: CA_SIGNER_USAGE };
  return { kind: 'run', options: readSignerOptions(COMMAND, flags, env, { listen: flags.listen ?? '0.0.0.0:15012', dnsNames: ['outrigger-ca.outrigger-system.svc'] }) };
}

/** The signer's options from its flags; `defaults` are what differ between `ca-signer` and `webhook`. */
export function readSignerOptions(command: string, flags: SignerFlagValues, env: NodeJS.ProcessEnv, defaults: { listen: string; listenFlag?: string; dnsNames: string[] }): CaSignerOptions {
  const invalid = (message: string): never => {
    throw new CliError('invalid-flag', `${command}: ${message}`);
  };
  const checkPart = (flag: string, problem: string | undefined) => {
    if (problem !== undefined) invalid(`--${flag}: ${problem}`);
  };
  const tlsCert = flags['tls-cert'];
  const tlsKey = flags['tls-key'];
  if ((tlsCert === undefined) !== (tlsKey === undefined)) invalid('--tls-cert and --tls-key go together: give both, or neither to issue a serving certificate from the CA');
  const namespace = flags.namespace ?? 'outrigger-system';
  const serviceAccount = flags['service-account'] ?? 'outrigger-injector';
  const trustDomain = flags['trust-domain'];
  checkPart('namespace', validateSpiffeId({ ...PLACEHOLDER, namespace }));
  checkPart('service-account', validateSpiffeId({ ...PLACEHOLDER, serviceAccount }));
  if (trustDomain !== undefined) checkPart('trust-domain', validateSpiffeId({ ...PLACEHOLDER, trustDomain }));
  const audience = flags.audience ?? 'outrigger';
  if (audience === '') invalid('--audience must not be empty');
  return {
    caDir: required(command, 'ca-dir', flags['ca-dir']),
    ...parseListen(defaults.listen, command, defaults.listenFlag),
    tlsFiles: tlsCert !== undefined && tlsKey !== undefined ? { cert: tlsCert, key: tlsKey } : undefined,
    trustDomain,
    namespace,
    serviceAccount,
    dnsNames: flags.dns ?? defaults.dnsNames,
    ipAddresses: flags.ip ?? [],
    kubeApi: parseKubeApi(flags['kube-api'], env, invalid),
    kubeTokenFile: flags['kube-token-file'] ?? `${SA_DIR}/token`,
    kubeCaFile: flags['kube-ca-file'] ?? `${SA_DIR}/ca.crt`,
    audience,
    validitySeconds: parseValidity(command, flags['validity-hours'], flags['validity-seconds'], invalid),
  };
}

export function parseListen(text: string, command = COMMAND, flag = '--listen'): { host: string; port: number } {
  // [v6]:port or host:port; the last ':' separates the port either way.
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^[\]:]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !(port >= 0 && port <= 65535)) {
    throw new CliError('invalid-flag', `${command}: ${flag} must be ADDRESS:PORT, like 0.0.0.0:15012 or [::]:15012 (got ${JSON.stringify(text)})`);
  }
  return { host, port };
}

function parseKubeApi(flag: string | undefined, env: NodeJS.ProcessEnv, invalid: (message: string) => never): string {
  let text = flag;
  if (text === undefined) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT ?? '443';
    if (!host) invalid('--kube-api is required when KUBERNETES_SERVICE_HOST is not set (outside a Pod)');
    text = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid(`--kube-api must be a URL like https://10.96.0.1:443 (got ${JSON.stringify(text)})`);
  }
  // The signer sends its own token there, and trusts the answer about everyone else's: TLS only.
  if (url.protocol !== 'https:') invalid(`--kube-api must be an https:// URL (got ${JSON.stringify(text)})`);
  return url.origin;
}

function parseValidity(command: string, hours: string | undefined, seconds: string | undefined, invalid: (message: string) => never): number {
  if (hours !== undefined && seconds !== undefined) invalid('--validity-hours and --validity-seconds are alternatives; give one');
  const total = seconds !== undefined ? positiveInteger(command, 'validity-seconds', seconds, 0) : positiveInteger(command, 'validity-hours', hours, 24) * 3600;
  if (total > MAX_VALIDITY_HOURS * 3600) invalid(`the certificate lifetime must be at most ${MAX_VALIDITY_HOURS} hours (got ${hours ?? `${seconds} s`})`);
  return total;
}
