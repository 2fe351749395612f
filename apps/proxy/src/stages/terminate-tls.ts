// Terminates TLS on an accepted socket: `server` presents the workload certificate only (as an
// nginx sidecar in front of a legacy app does); `mutual` also requires a client certificate that
// chains to the trust bundle, and records the peer's SPIFFE ID. Bounded by a handshake timeout.
import type { Socket } from 'node:net';
import { Server as TlsServer, TLSSocket, type SecureContextOptions } from 'node:tls';
import { parseSpiffeId, peerIdentityFromSubjectAltName } from '@outrigger/pki';
import { classifyError, OutriggerError, type ErrorKind } from '@outrigger/telemetry';
import type { ConnectionRecord } from '../record.ts';

/** ALPN that marks Outrigger's mesh mTLS, as Linkerd and Istio mark theirs. */
export const MESH_ALPN = 'outrigger';

export interface TlsTerminatorOptions {
  mode: 'server' | 'mutual';
  /** Certificate, key and trust bundle (PEM) and TLS versions, as for tls.createServer. */
  contextOptions: SecureContextOptions;
  handshakeTimeoutMs: number;
  /** Offer HTTP/1.1 in ALPN when the listener may speak HTTP; never h2, which the L7 path does not carry. */
  alpnHttp1: boolean;
  /** Mesh mTLS: the peer must present a SPIFFE ID of this trust domain (the bundle may hold others). */
  trustDomain?: string;
}

export interface TlsTerminator {
  terminate(socket: Socket, record: ConnectionRecord): Promise<TLSSocket>;
  /** A rotated identity: new handshakes use it, connections already up keep theirs. */
  setContext(contextOptions: SecureContextOptions): void;
}

export function createTlsTerminator(opts: TlsTerminatorOptions): TlsTerminator {
  const requestCert = opts.mode === 'mutual';
  // A tls.Server that never listens: raw sockets are handed to it with emit('connection'), the
  // documented way to inject connections. It runs the handshake, verifies client certificates
  // against the trust bundle, rejects unauthorized peers, and reports the outcome per socket.
  const server = new TlsServer({
    ...opts.contextOptions,
    requestCert,
    rejectUnauthorized: requestCert,
    handshakeTimeout: opts.handshakeTimeoutMs,
    ALPNCallback: ({ protocols }) => (protocols.includes(MESH_ALPN) ? MESH_ALPN : opts.alpnHttp1 && protocols.includes('http/1.1') ? 'http/1.1' : undefined),
  });
  type Pending = { record: ConnectionRecord; resolve: (s: TLSSocket) => void; reject: (e: Error) => void };
  const pending = new WeakMap<Socket, Pending>();
  // node keeps the socket a TLSSocket wraps as `_parent`; it is how we find the connection's record.
  const take = (tlsSocket: TLSSocket): Pending | undefined => {
    const raw = (tlsSocket as TLSSocket & { _parent?: Socket })._parent;
    const entry = raw ? pending.get(raw) : undefined;
    if (raw) pending.delete(raw);
    return entry;
  };
  server.on('secureConnection', (tlsSocket: TLSSocket) => {
    const entry = take(tlsSocket);
    if (!entry) return void tlsSocket.destroy();
    tlsSocket.on('error', () => {}); // later errors belong to the forwarding stage, which classifies them
    const { record } = entry;
    record.tls = opts.mode;
    if (requestCert) {
      record.peerIdentity = peerIdentityFromSubjectAltName(tlsSocket.getPeerCertificate().subjectaltname) ?? null;
      const domain = record.peerIdentity ? parseSpiffeId(record.peerIdentity) : null;
      if (opts.trustDomain && (!domain?.ok || domain.id.trustDomain !== opts.trustDomain)) {
        record.tls = 'none';
        record.tlsFailure = record.peerIdentity ? 'wrong_trust_domain' : 'no_spiffe_id';
        record.error = 'client_cert_rejected';
        tlsSocket.destroy();
        entry.reject(new OutriggerError('client_cert_rejected', `peer identity ${record.peerIdentity ?? '(none)'} is not of trust domain ${opts.trustDomain}`));
        return;
      }
    }
    entry.resolve(tlsSocket);
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, tlsSocket: TLSSocket) => {
    const entry = take(tlsSocket);
    if (!entry) return;
    const { record } = entry;
    // A certificate that fails verification surfaces as a hang-up after node destroyed the socket.
    if (tlsSocket.authorizationError) {
      record.tlsFailure = String(tlsSocket.authorizationError).toLowerCase();
      record.error ??= 'client_cert_rejected';
    } else {
      record.tlsFailure = tlsFailureReason(err);
      record.error ??= classifyError(err, 'downstream');
      if (record.error === 'downstream_aborted' || record.error === 'internal') record.error = 'tls_handshake_failed';
    }
    tlsSocket.destroy();
    entry.reject(new OutriggerError(record.error, `TLS handshake failed: ${record.tlsFailure}`, { cause: err }));
  });
  return {
    terminate: (socket, record) =>
      new Promise<TLSSocket>((resolve, reject) => {
        pending.set(socket, { record, resolve, reject });
        server.emit('connection', socket);
      }),
    setContext: (contextOptions) => server.setSecureContext(contextOptions),
  };
}

/** A short, bounded reason for the tls_handshake_errors metric: OpenSSL's reason or node's code. */
export function tlsFailureReason(err: NodeJS.ErrnoException & { reason?: string }): string {
  if (typeof err.reason === 'string') return err.reason.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  if (err.code === 'ECONNRESET') return 'connection_reset';
  return (err.code ?? 'unknown').toLowerCase();
}
