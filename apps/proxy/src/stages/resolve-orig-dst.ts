// Transparent mode: where the connection was going before iptables redirected it (SO_ORIGINAL_DST),
// and the loop check: a connection whose original destination is one of the proxy's own ports
// (or that was not redirected at all, i.e. dialled the proxy port directly) must not be forwarded.
import type { Socket } from 'node:net';
import type { OrigDstResolver, SocketAddress } from '@outrigger/original-dst';
import { formatAddress, type ConnectionRecord } from '../record.ts';

export type OrigDst = { ok: true; dst: SocketAddress } | { ok: false };

export interface LoopGuard {
  ownPorts: ReadonlySet<number>;
  /** Addresses of this host (or pod): a destination elsewhere on one of our port numbers is not us. */
  isLocalAddress(address: string): boolean;
}

export function resolveOrigDst(socket: Socket, record: ConnectionRecord, resolver: OrigDstResolver, guard: LoopGuard): OrigDst {
  let dst: SocketAddress;
  try {
    dst = resolver.resolve(socket);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOENT: no conntrack entry; ENOPROTOOPT: conntrack is not loaded. Either way, no NAT.
    if (code !== 'ENOENT' && code !== 'ENOPROTOOPT') {
      record.error = 'internal';
      return { ok: false };
    }
    // Not redirected: the client dialled the proxy's own port. Forwarding to "the original
    // destination" would connect the proxy to itself.
    record.downstreamLocal = formatAddress(unmapped(socket.localAddress ?? ''), socket.localPort);
    record.origPort = socket.localPort ?? null;
    record.error = 'loop_detected';
    return { ok: false };
  }
  record.downstreamLocal = formatAddress(dst.address, dst.port);
  record.origPort = dst.port;
  if (guard.ownPorts.has(dst.port) && guard.isLocalAddress(dst.address)) {
    record.error = 'loop_detected';
    return { ok: false };
  }
  return { ok: true, dst };
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
