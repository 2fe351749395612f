// The proxy's config file for one pod: the mesh config with the pod's own settings laid over it.
// It reaches the proxy as an annotation that a downward-API volume projects as a file, because a
// pod can mount only ConfigMaps of its own namespace and the mesh ConfigMap lives in
// outrigger-system. Only keys the proxy already knows are written: it refuses unknown ones.
import type { CaptureSpec } from '@outrigger/netfilter';
import { stringify } from 'yaml';
import { PATHS } from './names.ts';
import type { PodSettings } from './pod-settings.ts';

export interface ProxyConfigInput {
  mesh: Readonly<Record<string, unknown>>;
  settings: PodSettings;
  spec: CaptureSpec;
  appMetricsUrl: string | undefined;
  terminationGracePeriodSeconds: number | undefined;
}

type Obj = Record<string, unknown>;

export function renderProxyConfig(input: ProxyConfigInput): string {
  const { mesh, settings, spec } = input;
  const config = JSON.parse(JSON.stringify(mesh)) as Obj;
  const section = (parent: Obj, key: string): Obj => {
    const value = parent[key];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Obj;
    const fresh: Obj = {};
    parent[key] = fresh;
    return fresh;
  };
  // The ports are the capture rules' and the probes': a mesh config may not move them.
  section(config, 'admin').port = spec.adminPort;
  const identity = section(config, 'identity');
  identity.source ??= 'ca';
  if (identity.source === 'ca') identity.caBundleFile = PATHS.caBundle;
  const transparent = section(config, 'transparent');
  const inbound = section(transparent, 'inbound');
  inbound.port = spec.inboundPort;
  if (settings.inboundMode !== undefined) inbound.mode = settings.inboundMode;
  if (settings.upstream !== undefined) inbound.upstream = settings.upstream;
  const outbound = section(transparent, 'outbound');
  outbound.port = spec.outboundPort;
  // With IPv6 capture the rules redirect to [::]:15006 and [::1]:15001 as well: listen on both.
  if (spec.ipv6) inbound.address = outbound.address = '::';
  if (settings.opaquePorts !== undefined) transparent.opaquePorts = settings.opaquePorts;
  const accessLog = section(config, 'accessLog');
  accessLog.file ??= PATHS.accessLog;
  if (settings.logLevel !== undefined) section(config, 'log').level = settings.logLevel;
  if (input.appMetricsUrl !== undefined) section(config, 'metrics').app = { url: input.appMetricsUrl };
  // DESIGN section 6: drain for the pod's grace period minus 5 s, so the kubelet's SIGKILL never
  // lands in the middle of a drain.
  const grace = input.terminationGracePeriodSeconds ?? 30;
  const timeouts = section(config, 'timeouts');
  timeouts.drain ??= `${Math.max(1, grace - 5)}s`;
  // The order of docs/reference/config.md, whatever order the mesh config used.
  const ordered = Object.fromEntries([...KEY_ORDER.filter((k) => k in config).map((k) => [k, config[k]]), ...Object.entries(config).filter(([k]) => !KEY_ORDER.includes(k))]);
  return stringify(ordered, { lineWidth: 0 });
}

const KEY_ORDER = ['admin', 'identity', 'mesh', 'transparent', 'listeners', 'accessLog', 'log', 'metrics', 'timeouts', 'limits'];
