// What a new config changes in a running proxy: the keys that apply live (read per connection or
// swapped in place) and those that need a restart (ports, listeners, identity source, TLS settings
// fixed at start). Pure: a reload applies the first and reports the second, never silently ignores.
import type { ProxyConfig } from '@outrigger/config';

export interface ReloadPlan {
  /** Keys whose new value is in force once the reload is applied. */
  live: string[];
  /** Keys that changed but keep their old value until the proxy restarts. */
  restartRequired: string[];
}

const LIVE = [
  'log.level',
  'accessLog',
  'mesh.networks',
  'mesh.peerIdentities',
  'transparent.inbound.upstream',
  'transparent.inbound.podIp',
  'transparent.inbound.mode',
  'transparent.inbound.allow',
  'transparent.inbound.ports',
  'transparent.opaquePorts',
  'timeouts.detect',
  'timeouts.idle',
  'timeouts.drain',
  'metrics.app',
];

const RESTART = [
  'admin',
  'identity',
  'listeners',
  'mesh.trustDomain',
  'tls',
  'transparent.inbound.address',
  'transparent.inbound.port',
  'transparent.outbound',
  'timeouts.tlsHandshake',
  'timeouts.upstreamConnect',
  'timeouts.upstreamResponse',
  'timeouts.requestHeaders',
  'timeouts.identityPoll',
  'limits',
  'metrics.idleSeriesExpiry',
];

function at(config: unknown, path: string): unknown {
  let value = config;
  for (const part of path.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function planReload(current: ProxyConfig, next: ProxyConfig): ReloadPlan {
  // Turning transparent mode on or off starts or stops listeners: a restart.
  if (Boolean(current.transparent) !== Boolean(next.transparent)) {
    return { live: LIVE.filter((k) => !k.startsWith('transparent.') && !same(at(current, k), at(next, k))), restartRequired: ['transparent'] };
  }
  return {
    live: LIVE.filter((k) => !same(at(current, k), at(next, k))),
    restartRequired: RESTART.filter((k) => !same(at(current, k), at(next, k))),
  };
}

/** The config in force after a reload: live keys from `next`, restart-only keys kept from `current`. */
export function applyReload(current: ProxyConfig, next: ProxyConfig): ProxyConfig {
  const merged = structuredClone(current);
  for (const key of LIVE) {
    const value = at(next, key);
    const parts = key.split('.');
    let target = merged as unknown as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) {
      if (!target[part] || typeof target[part] !== 'object') break;
      target = target[part] as Record<string, unknown>;
    }
    if (value !== undefined) target[parts.at(-1) as string] = structuredClone(value);
  }
  return merged;
}
