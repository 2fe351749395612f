// Command line -> WatcherSpec, every default applied, or a `usage` WatcherError naming the flag.
// Pure: files named by flags are only read later. docs/reference/config-watcher.md lists each flag.
import { parseArgs } from 'node:util';
import { parseDuration } from '@outrigger/config';
import { WatcherError } from './watcher-errors.ts';

export type SourceSpec = { kind: 'dir'; path: string } | { kind: 'url'; url: URL };
export type SignalTarget = { kind: 'pid-file'; path: string } | { kind: 'process-name'; name: string };
export type NotifySpec =
  | { kind: 'signal'; signal: NodeJS.Signals; target: SignalTarget }
  | { kind: 'http'; method: string; url: URL }
  | { kind: 'exec'; command: string };
/** `file` undefined: the schema applies to every YAML/JSON file of the config. */
export interface SchemaSpec { file?: string; path: string }

export interface WatcherSpec {
  source: SourceSpec;
  dest: string;
  schemas: SchemaSpec[];
  validateCmd?: string;
  validateTimeoutMs: number;
  notify: NotifySpec[];
  notifyTimeoutMs: number;
  debounceMs: number;
  pollMs: number;
  timeoutMs: number;
  tls: { caFile?: string; certFile?: string; keyFile?: string };
  headers: Record<string, string>;
  fileName?: string;
  once: boolean;
  admin: { address: string; port: number };
  logLevel: string;
}

export const DEFAULTS = {
  validateTimeout: '30s', notifyTimeout: '10s', debounce: '500ms', poll: '10s', timeout: '10s',
  adminAddress: '0.0.0.0', adminPort: 15022, logLevel: 'info',
} as const;

/** Signals an app may use to mean "reload" (nginx, haproxy, postgres: HUP; some JVM apps: USR2). */
export const RELOAD_SIGNALS = ['HUP', 'USR1', 'USR2', 'INT', 'TERM', 'QUIT', 'WINCH'] as const;

export const OPTIONS = {
  source: { type: 'string' }, dest: { type: 'string' }, schema: { type: 'string', multiple: true },
  'validate-cmd': { type: 'string' }, 'validate-timeout': { type: 'string' },
  notify: { type: 'string', multiple: true }, 'pid-file': { type: 'string' }, 'process-name': { type: 'string' },
  'notify-timeout': { type: 'string' }, debounce: { type: 'string' }, poll: { type: 'string' }, timeout: { type: 'string' },
  'ca-file': { type: 'string' }, 'cert-file': { type: 'string' }, 'key-file': { type: 'string' },
  header: { type: 'string', multiple: true }, 'file-name': { type: 'string' }, once: { type: 'boolean' },
  'admin-address': { type: 'string' }, 'admin-port': { type: 'string' }, 'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const usage = (message: string) => new WatcherError('usage', message);

function duration(flag: string, value: string | undefined, fallback: string): number {
  const ms = parseDuration(value ?? fallback);
  if (ms === undefined) throw usage(`--${flag}: "${value}" is not a duration (use e.g. 500ms, 10s, 1m)`);
  return ms;
}

export function parseSource(value: string | undefined): SourceSpec {
  if (!value) throw usage('--source is required: dir:PATH or url:URL');
  if (value.startsWith('dir:') && value.length > 4) return { kind: 'dir', path: value.slice(4) };
  if (value.startsWith('url:')) {
    const url = URL.parse(value.slice(4));
    if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return { kind: 'url', url };
    throw usage(`--source ${value}: not an http:// or https:// URL`);
  }
  throw usage(`--source ${value}: expected dir:PATH or url:URL`);
}

export function parseNotify(value: string, target: SignalTarget | undefined): NotifySpec {
  const [mode, ...rest] = value.split(':');
  const arg = rest.join(':');
  if (mode === 'signal') {
    const name = arg.toUpperCase().replace(/^SIG/, '');
    if (!(RELOAD_SIGNALS as readonly string[]).includes(name)) throw usage(`--notify ${value}: signal must be one of ${RELOAD_SIGNALS.join(', ')}`);
    if (!target) throw usage(`--notify ${value} needs --pid-file FILE or --process-name NAME to find the process`);
    return { kind: 'signal', signal: `SIG${name}` as NodeJS.Signals, target };
  }
  if (mode === 'http') {
    const match = /^([A-Z]+):(https?:\/\/.+)$/.exec(arg);
    const url = match ? URL.parse(match[2] as string) : null;
    if (!match || !url) throw usage(`--notify ${value}: expected http:METHOD:URL, e.g. http:POST:http://127.0.0.1:8080/-/reload`);
    return { kind: 'http', method: match[1] as string, url };
  }
  if (mode === 'exec' && arg.trim()) return { kind: 'exec', command: arg };
  throw usage(`--notify ${value}: expected signal:HUP, http:POST:URL or exec:COMMAND`);
}

function parseSchema(value: string): SchemaSpec {
  const eq = value.indexOf('=');
  if (eq <= 0) return { path: value };
  return { file: value.slice(0, eq), path: value.slice(eq + 1) };
}

function parseHeader(value: string): [string, string] {
  const colon = value.indexOf(':');
  const name = value.slice(0, colon).trim();
  if (colon <= 0 || !/^[A-Za-z0-9-]+$/.test(name)) throw usage(`--header ${JSON.stringify(value)}: expected "Name: value"`);
  return [name.toLowerCase(), value.slice(colon + 1).trim()];
}

/** undefined means --help was asked for. */
export function parseWatcherArgs(argv: readonly string[]): WatcherSpec | undefined {
  let values;
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw usage((err as Error).message.replace(/\s*\n\s*/g, ' '));
  }
  if (values.help) return undefined;
  const source = parseSource(values.source);
  if (!values.dest) throw usage('--dest DIR is required: the folder the app reads its config from');
  const pidFile = values['pid-file'];
  const processName = values['process-name'];
  if (pidFile && processName) throw usage('--pid-file and --process-name: give one, not both');
  const target: SignalTarget | undefined = pidFile ? { kind: 'pid-file', path: pidFile } : processName ? { kind: 'process-name', name: processName } : undefined;
  const notify = (values.notify ?? []).map((n) => parseNotify(n, target));
  if (target && !notify.some((n) => n.kind === 'signal')) throw usage(`--${pidFile ? 'pid-file' : 'process-name'} is only used with --notify signal:NAME`);
  const port = Number(values['admin-port'] ?? DEFAULTS.adminPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usage(`--admin-port ${values['admin-port']}: not a port number`);
  const tls = { caFile: values['ca-file'], certFile: values['cert-file'], keyFile: values['key-file'] };
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) throw usage('--cert-file and --key-file go together');
  if (source.kind === 'dir' && (tls.caFile || tls.certFile || values.header || values['file-name'])) {
    throw usage('--ca-file, --cert-file, --key-file, --header and --file-name apply to a url: source only');
  }
  const fileName = values['file-name'];
  if (fileName !== undefined && (fileName.includes('/') || fileName.startsWith('..') || fileName === '')) throw usage(`--file-name ${fileName}: a plain file name, not a path`);
  return {
    source,
    dest: values.dest,
    schemas: (values.schema ?? []).map(parseSchema),
    validateCmd: values['validate-cmd'],
    validateTimeoutMs: duration('validate-timeout', values['validate-timeout'], DEFAULTS.validateTimeout),
    notify,
    notifyTimeoutMs: duration('notify-timeout', values['notify-timeout'], DEFAULTS.notifyTimeout),
    debounceMs: duration('debounce', values.debounce, DEFAULTS.debounce),
    pollMs: Math.max(1, duration('poll', values.poll, DEFAULTS.poll)),
    timeoutMs: duration('timeout', values.timeout, DEFAULTS.timeout),
    tls,
    headers: Object.fromEntries((values.header ?? []).map(parseHeader)),
    fileName,
    once: values.once ?? false,
    admin: { address: values['admin-address'] ?? DEFAULTS.adminAddress, port },
    logLevel: values['log-level'] ?? DEFAULTS.logLevel,
  };
}
