// A pod's `outrigger.io/*` option annotations read into settings, with every problem named by its
// annotation. A pod with a bad one is not injected (the webhook says why in a warning): guessing
// what "80,http" meant would install capture rules nobody asked for.
import { ANNOTATIONS as A } from './names.ts';
import type { SidecarMode } from './inject-config.ts';
import { parseQuantity } from './quantity.ts';

export const INBOUND_MODES = ['permissive', 'strict'] as const;
export const UPSTREAMS = ['localhost', 'pod-ip'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface ConfigWatch {
  /** `configmap:NAME` (mounted into the watcher) or an http(s) URL it polls. */
  source: { kind: 'configmap'; name: string } | { kind: 'url'; url: string };
  /** Where the app containers find the synced files. */
  path: string;
  /** outrigger-config-watcher's --notify, as is: `signal:HUP`, `http:POST:http://127.0.0.1:8080/-/reload`, `exec:CMD`. */
  notify: string | undefined;
  /** The process a signal goes to (--process-name); required with notify=signal:... */
  process: string | undefined;
}

/** The log exporter's `sink:` section (docs/reference/log-exporter.md), from the annotation's URL. */
export type LogSink =
  | { kind: 'stdout' }
  | { kind: 'syslog'; address: string; tls?: Record<string, never> }
  | { kind: 'loki' | 'elasticsearch' | 'http'; url: string };

export interface PodSettings {
  sidecar: SidecarMode | undefined;
  skipInboundPorts: number[];
  skipOutboundPorts: number[];
  skipOutboundCidrs: string[];
  opaquePorts: number[] | undefined;
  inboundMode: (typeof INBOUND_MODES)[number] | undefined;
  upstream: (typeof UPSTREAMS)[number] | undefined;
  logLevel: (typeof LOG_LEVELS)[number] | undefined;
  resources: { cpu?: string; cpuLimit?: string; memory?: string; memoryLimit?: string };
  logExport: LogSink | undefined;
  configWatch: ConfigWatch | undefined;
}

export function parsePodSettings(annotations: Readonly<Record<string, string>>): { settings: PodSettings; problems: string[] } {
  const problems: string[] = [];
  const get = (name: string) => {
    const value = annotations[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const value = get(name);
    if (value === undefined) return undefined;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${name}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
    return undefined;
  };
  const ports = (name: string): number[] | undefined => {
    const value = get(name);
    if (value === undefined) return undefined;
    const out: number[] = [];
    for (const item of value.split(',').map((s) => s.trim())) {
      const port = /^\d{1,5}$/.test(item) ? Number(item) : NaN;
      if (port >= 1 && port <= 65535) out.push(port);
      else problems.push(`${name}: ${JSON.stringify(item)} is not a port (1-65535)`);
    }
    return out;
  };
  const quantity = (name: string, kind: 'cpu' | 'memory'): string | undefined => {
    const value = get(name);
    if (value !== undefined && parseQuantity(value) === undefined) problems.push(`${name}: ${JSON.stringify(value)} is not a ${kind} quantity (like ${kind === 'cpu' ? '100m or 0.5' : '64Mi or 1Gi'})`);
    return value;
  };
  const resources: PodSettings['resources'] = {};
  for (const [key, name, kind] of [['cpu', A.proxyCpu, 'cpu'], ['cpuLimit', A.proxyCpuLimit, 'cpu'], ['memory', A.proxyMemory, 'memory'], ['memoryLimit', A.proxyMemoryLimit, 'memory']] as const) {
    const value = quantity(name, kind);
    if (value !== undefined) resources[key] = value;
  }
  const settings: PodSettings = {
    sidecar: oneOf(A.sidecar, ['native', 'legacy']),
    skipInboundPorts: ports(A.skipInboundPorts) ?? [],
    skipOutboundPorts: ports(A.skipOutboundPorts) ?? [],
    skipOutboundCidrs: get(A.skipOutboundCidrs)?.split(',').map((s) => s.trim()) ?? [],
    // Present but empty is a list too: no port is opaque (the mesh default list is replaced, as documented).
    opaquePorts: annotations[A.opaquePorts] === undefined ? undefined : (ports(A.opaquePorts) ?? []),
    inboundMode: oneOf(A.inboundMode, INBOUND_MODES),
    upstream: oneOf(A.upstream, UPSTREAMS),
    logLevel: oneOf(A.logLevel, LOG_LEVELS),
    resources,
    logExport: parseLogExport(get(A.logExport), problems),
    configWatch: parseConfigWatch(get(A.configWatch), problems),
  };
  return { settings, problems };
}

function parseLogExport(value: string | undefined, problems: string[]): LogSink | undefined {
  if (value === undefined) return undefined;
  if (value === 'stdout') return { kind: 'stdout' };
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const scheme = url?.protocol.slice(0, -1);
  const rest = value.slice(value.indexOf(':'));
  if (url !== undefined && url.host !== '') {
    if ((scheme === 'syslog' || scheme === 'syslog+tls') && url.port !== '' && (url.pathname === '' || url.pathname === '/')) {
      return { kind: 'syslog', address: url.host, ...(scheme === 'syslog+tls' ? { tls: {} } : {}) };
    }
    if (scheme === 'loki+http' || scheme === 'loki+https') return { kind: 'loki', url: `${scheme.slice(5)}${rest}` };
    if (scheme === 'es+http' || scheme === 'es+https') return { kind: 'elasticsearch', url: `${scheme.slice(3)}${rest}` };
    if (scheme === 'http' || scheme === 'https') return { kind: 'http', url: value };
  }
  problems.push(`${A.logExport}: ${JSON.stringify(value)} is not a sink: syslog://HOST:PORT, syslog+tls://HOST:PORT, loki+http(s)://..., es+http(s)://..., http(s)://... or stdout`);
  return undefined;
}

const K8S_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

function parseConfigWatch(value: string | undefined, problems: string[]): ConfigWatch | undefined {
  if (value === undefined) return undefined;
  const fail = (why: string) => {
    problems.push(`${A.configWatch}: ${why} (write source=configmap:NAME|https://URL,path=/app/dir[,process=NAME][,notify=...])`);
    return undefined;
  };
  const fields = new Map<string, string>();
  // notify may hold a URL with commas in its query: everything after `notify=` is its value.
  const [head = '', notify] = value.split(/,\s*notify=/, 2);
  for (const part of head.split(',').map((s) => s.trim())) {
    const eq = part.indexOf('=');
    if (eq < 1) return fail(`${JSON.stringify(part)} is not key=value`);
    const key = part.slice(0, eq);
    if (key !== 'source' && key !== 'path' && key !== 'process') return fail(`unknown key ${JSON.stringify(key)}`);
    if (fields.has(key)) return fail(`${key} given twice`);
    fields.set(key, part.slice(eq + 1).trim());
  }
  const source = fields.get('source');
  const path = fields.get('path');
  if (source === undefined || path === undefined) return fail('source and path are required');
  if (!/^\/[^\s,]*$/.test(path) || path === '/' || path.split('/').includes('..')) return fail(`path ${JSON.stringify(path)} must be an absolute directory other than /`);
  if (notify !== undefined && notify.trim() === '') return fail('notify is empty');
  const processName = fields.get('process');
  if (notify?.trim().startsWith('signal:') && processName === undefined) return fail('notify=signal:... needs process=NAME, the process to signal');
  if (source.startsWith('configmap:')) {
    const name = source.slice('configmap:'.length);
    if (!K8S_NAME.test(name)) return fail(`${JSON.stringify(name)} is not a ConfigMap name`);
    return { source: { kind: 'configmap', name }, path, notify: notify?.trim(), process: processName };
  }
  if (/^https?:\/\//.test(source) && URL.canParse(source)) return { source: { kind: 'url', url: source }, path, notify: notify?.trim(), process: processName };
  return fail(`source ${JSON.stringify(source)} is neither configmap:NAME nor an http(s) URL`);
}
