// Outbound mesh mTLS: which destinations are meshed (inside mesh.networks), and the TLS options to
// reach their inbound sidecar with the workload certificate and the mesh ALPN, requiring a SPIFFE ID
// of the trust domain (or the exact one configured for the destination).
import { BlockList, isIPv6 } from 'node:net';
import type { ConnectionOptions, PeerCertificate, SecureContext, TLSSocket } from 'node:tls';
import type { MeshConfig } from '@outrigger/config';
import { parseSpiffeId, peerIdentityFromSubjectAltName } from '@outrigger/pki/read';
import type { LoadedIdentity } from './identity.ts';
import { MESH_ALPN } from './stages/terminate-tls.ts';

/** tls.connect options for one mesh connection, and where to keep the session it is given. */
export interface MeshTlsOptions extends ConnectionOptions {
  /** Call with the socket right after tls.connect: its TLS sessions are kept for the next connection. */
  keepSessions(socket: TLSSocket): void;
}

export interface MeshDialer {
  isMeshed(address: string): boolean;
  /**
   * Options for tls.connect or an https agent; the context is the identity current at call time.
   * They carry a session from an earlier connection to the same peer when there is one (TLS
   * resumption: no certificate signatures, the costly part of a handshake).
   */
  tlsOptions(address: string, port: number): MeshTlsOptions;
}

/** Sessions kept at most (one per destination and expected identity); the oldest goes first. */
export const MAX_TLS_SESSIONS = 1024;

/** `meshNow()` is read per connection, so reloaded networks and peer identities apply at once. */
export function createMeshDialer(meshNow: () => MeshConfig, identity: () => LoadedIdentity, isLocalAddress: (address: string) => boolean = () => false, maxSessions = MAX_TLS_SESSIONS): MeshDialer {
  // A session is only offered with the identity (context) it was made with, and under the peer
  // check it passed: node skips checkServerIdentity on a resumed session, so the key holds what
  // that check expected, and a reload that changes it starts a full handshake.
  const sessions = new Map<string, { context: SecureContext; session: Buffer }>();
  let builtFrom: string[] | null = null;
  let blocks = new BlockList();
  const networksNow = () => {
    const cidrs = meshNow().networks;
    if (cidrs !== builtFrom) {
      blocks = new BlockList();
      for (const cidr of cidrs) {
        const [net, bits] = cidr.split('/') as [string, string];
        blocks.addSubnet(net, Number(bits), isIPv6(net) ? 'ipv6' : 'ipv4');
      }
      builtFrom = cidrs;
    }
    return blocks;
  };
  return {
    isMeshed: (address) => {
      const plain = address.replace(/^::ffff:/, '');
      // This pod's own addresses: the rules never send the proxy's traffic back to its inbound
      // side (UID 1337 is exempt first), so the app there would receive TLS it cannot read.
      return !isLocalAddress(plain) && networksNow().check(plain, isIPv6(plain) ? 'ipv6' : 'ipv4');
    },
    tlsOptions(address, port) {
      const mesh = meshNow();
      const expected = mesh.peerIdentities[`${address}:${port}`] ?? mesh.peerIdentities[address];
      const secureContext = identity().secureContext;
      const key = `${address}|${port}|${expected ?? `td:${mesh.trustDomain}`}`;
      const kept = sessions.get(key);
      return {
        secureContext,
        session: kept?.context === secureContext ? kept.session : undefined,
        keepSessions(socket) {
          socket.on('session', (session: Buffer) => {
            sessions.delete(key); // (re-)inserted last: the order of arrival is the eviction order
            if (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value!);
            sessions.set(key, { context: secureContext, session });
          });
        },
        ALPNProtocols: [MESH_ALPN],
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        // Mesh peers are named by SPIFFE ID, not by DNS name or IP: check that instead.
        checkServerIdentity: (_host: string, cert: PeerCertificate) => checkPeer(cert, mesh.trustDomain, expected),
      };
    },
  };
}

export function checkPeer(cert: PeerCertificate, trustDomain: string, expected: string | undefined): Error | undefined {
  const id = peerIdentityFromSubjectAltName(cert.subjectaltname);
  const fail = (message: string) => Object.assign(new Error(message), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  if (!id) return fail('the peer certificate has no SPIFFE ID');
  if (expected) return id === expected ? undefined : fail(`the peer is ${id}, expected ${expected}`);
  const parsed = parseSpiffeId(id);
  if (!parsed.ok || parsed.id.trustDomain !== trustDomain) return fail(`the peer ${id} is not of trust domain ${trustDomain}`);
  return undefined;
}
