// What each listener does, derived from the config: explicit listeners (fixed upstream, own TLS
// mode) and, in transparent mode, inbound 15006 (mesh mTLS / edge TLS / plaintext by port policy,
// to the app on localhost or the pod IP) and outbound 15001 (to the original destination, with
// mesh mTLS inside mesh.networks).
import { networkInterfaces } from 'node:os';
import type { SecureContextOptions } from 'node:tls';
import type { ProxyConfig, TransparentConfig } from '@outrigger/config';
import type { OrigDstResolver } from '@outrigger/original-dst';
import type { ListenerPlan, PortPolicy } from './listener.ts';
import type { MeshDialer } from './mesh-dialer.ts';

const OPEN: PortPolicy = { mode: 'permissive', allow: undefined, edgeTls: false };

export interface PlanDeps {
  tlsOptions: SecureContextOptions | null;
  resolver: () => OrigDstResolver;
  dialer: MeshDialer | null;
}

/**
 * `live()` is the config in force, read per connection: a reload changes port policies, opaque
 * ports and upstream modes for new connections. What the plan captures at start (ports, TLS
 * modes, upstreams of explicit listeners) needs a restart, which reload reports.
 */
export function planListeners(live: () => ProxyConfig, deps: PlanDeps): ListenerPlan[] {
  const config = live();
  const { tlsOptions } = deps;
  const plans: ListenerPlan[] = config.listeners.map((l) => {
    if (l.tls !== 'none' && !tlsOptions) throw new Error(`listener ${l.name}: tls: ${l.tls} needs an identity`);
    return {
      name: l.name,
      direction: 'inbound',
      address: l.address,
      port: l.port,
      tls: l.tls === 'none' || !tlsOptions ? null : { mode: l.tls, contextOptions: tlsOptions },
      meshTls: null,
      origDst: null,
      policyFor: () => OPEN,
      protocolFor: () => l.protocol,
      upstreamFor: () => {
        const dialer = deps.dialer;
        if (l.upstreamTls !== 'mesh' || !dialer) return l.upstream;
        return { ...l.upstream, tls: () => dialer.tlsOptions(l.upstream.host, l.upstream.port) };
      },
    };
  });
  if (config.transparent) plans.push(...planTransparent(config, live, deps));
  return plans;
}

function planTransparent(config: ProxyConfig, live: () => ProxyConfig, deps: PlanDeps): ListenerPlan[] {
  const t = config.transparent as TransparentConfig;
  const inboundNow = () => (live().transparent ?? t).inbound;
  const resolver = deps.resolver();
  const ownPorts = new Set([t.inbound.port, t.outbound.port, config.admin.port]);
  const guard = { ownPorts, isLocalAddress: localAddressCheck() };
  let opaqueFrom: number[] | null = null;
  let opaque = new Set<number>();
  const protocolFor = (port: number) => {
    const ports = (live().transparent ?? t).opaquePorts;
    if (ports !== opaqueFrom) [opaqueFrom, opaque] = [ports, new Set(ports)];
    return (opaque.has(port) ? 'tcp' : 'detect') as 'tcp' | 'detect';
  };
  const inbound: ListenerPlan = {
    name: 'inbound',
    direction: 'inbound',
    address: t.inbound.address,
    port: t.inbound.port,
    tls: null,
    meshTls: deps.tlsOptions ? { contextOptions: deps.tlsOptions, trustDomain: config.mesh.trustDomain } : null,
    origDst: { resolver, guard },
    policyFor(port) {
      const inbound = inboundNow();
      const p = inbound.ports[String(port)];
      return { mode: p?.mode ?? inbound.mode, allow: p?.allow ?? inbound.allow, edgeTls: p?.edgeTls ?? false };
    },
    protocolFor,
    upstreamFor(dst) {
      const inbound = inboundNow();
      const port = dst?.port ?? 0;
      const mode = inbound.ports[String(port)]?.upstream ?? inbound.upstream;
      // Legacy apps bind to localhost; the pod IP is for apps that bind only to it.
      const host = mode === 'pod-ip' && inbound.podIp ? inbound.podIp : dst?.family === 6 && mode === 'localhost' ? '::1' : '127.0.0.1';
      return { host, port };
    },
  };
  const dialer = deps.dialer;
  const outbound: ListenerPlan = {
    name: 'outbound',
    direction: 'outbound',
    address: t.outbound.address,
    port: t.outbound.port,
    tls: null,
    meshTls: null,
    origDst: { resolver, guard },
    policyFor: () => OPEN,
    protocolFor,
    upstreamFor(dst) {
      const host = dst?.address ?? '127.0.0.1';
      const port = dst?.port ?? 0;
      // A peer's admin port is plain HTTP reached past its sidecar (the capture rules RETURN it), so
      // mTLS there could never be answered: a meshed Prometheus scrapes it in plaintext, as an
      // unmeshed one does. The mesh's sidecars share this admin port, as the injector sets it.
      return dialer && port !== config.admin.port && dialer.isMeshed(host) ? { host, port, tls: () => dialer.tlsOptions(host, port) } : { host, port };
    },
  };
  return [inbound, outbound];
}

/** Loopback, unspecified, and the addresses of this network namespace's interfaces (read once). */
export function localAddressCheck(): (address: string) => boolean {
  const local = new Set<string>(['0.0.0.0', '::']);
  for (const addresses of Object.values(networkInterfaces())) for (const a of addresses ?? []) local.add(a.address);
  return (address) => address.startsWith('127.') || address === '::1' || local.has(address.replace(/^::ffff:/, ''));
}
