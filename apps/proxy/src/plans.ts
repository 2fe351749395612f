// What each listener does, derived from the config: explicit listeners (fixed upstream, own TLS
// mode) and, in transparent mode, inbound 15006 (to the app on localhost or the pod IP, by the
// original port) and outbound 15001 (to the original destination).
import { networkInterfaces } from 'node:os';
import type { SecureContextOptions } from 'node:tls';
import type { ProxyConfig, TransparentConfig } from '@outrigger/config';
import type { OrigDstResolver } from '@outrigger/original-dst';
import type { ListenerPlan } from './listener.ts';

export function planListeners(config: ProxyConfig, tlsOptions: SecureContextOptions | null, resolver: () => OrigDstResolver): ListenerPlan[] {
  const plans: ListenerPlan[] = config.listeners.map((l) => {
    if (l.tls !== 'none' && !tlsOptions) throw new Error(`listener ${l.name}: tls: ${l.tls} needs an identity`);
    return {
      name: l.name,
      direction: 'inbound',
      address: l.address,
      port: l.port,
      tls: l.tls === 'none' || !tlsOptions ? null : { mode: l.tls, contextOptions: tlsOptions },
      origDst: null,
      protocolFor: () => l.protocol,
      upstreamFor: () => l.upstream,
    };
  });
  if (config.transparent) plans.push(...planTransparent(config.transparent, config.admin.port, resolver()));
  return plans;
}

function planTransparent(t: TransparentConfig, adminPort: number, resolver: OrigDstResolver): ListenerPlan[] {
  const ownPorts = new Set([t.inbound.port, t.outbound.port, adminPort]);
  const guard = { ownPorts, isLocalAddress: localAddressCheck() };
  const opaque = new Set(t.opaquePorts);
  const protocolFor = (port: number) => (opaque.has(port) ? 'tcp' : 'detect') as 'tcp' | 'detect';
  const inbound: ListenerPlan = {
    name: 'inbound',
    direction: 'inbound',
    address: t.inbound.address,
    port: t.inbound.port,
    tls: null,
    origDst: { resolver, guard },
    protocolFor,
    upstreamFor(dst) {
      const port = dst?.port ?? 0;
      const mode = t.inbound.ports[String(port)]?.upstream ?? t.inbound.upstream;
      // Legacy apps bind to localhost; the pod IP is for apps that bind only to it.
      const host = mode === 'pod-ip' && t.inbound.podIp ? t.inbound.podIp : dst?.family === 6 && mode === 'localhost' ? '::1' : '127.0.0.1';
      return { host, port };
    },
  };
  const outbound: ListenerPlan = {
    name: 'outbound',
    direction: 'outbound',
    address: t.outbound.address,
    port: t.outbound.port,
    tls: null,
    origDst: { resolver, guard },
    protocolFor,
    upstreamFor: (dst) => ({ host: dst?.address ?? '127.0.0.1', port: dst?.port ?? 0 }),
  };
  return [inbound, outbound];
}

/** Loopback, unspecified, and the addresses of this network namespace's interfaces (read once). */
function localAddressCheck(): (address: string) => boolean {
  const local = new Set<string>(['0.0.0.0', '::']);
  for (const addresses of Object.values(networkInterfaces())) for (const a of addresses ?? []) local.add(a.address);
  return (address) => address.startsWith('127.') || address === '::1' || local.has(address.replace(/^::ffff:/, ''));
}
