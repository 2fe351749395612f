// Terminates TLS on an accepted socket: `server` presents the workload certificate only (as an
// nginx sidecar in front of a legacy app does); `mutual` also requires a client certificate that
// chains to the trust bundle, and records the peer's SPIFFE ID. Bounded by a handshake timeout.
import type { Socket } from 'node:net';
import { Server as TlsServer, TLSSocket, type SecureContextOptions } from 'node:tls';
import { peerIdentityFromSubjectAltName } from '@outrigger/pki';
import { classifyError, OutriggerError, type ErrorKind } from '@outrigger/telemetry';
import type { ConnectionRecord } from '../record.ts';

export interface TlsTerminatorOptions {
  mode: 'server' | 'mutual';
  /** Certificate, key and trust bundle (PEM) and TLS versions, as for tls.createServer. */
  contextOptions: SecureContextOptions;
  handshakeTimeoutMs: number;
  /** Offer HTTP/1.1 in ALPN when the listener may speak HTTP; never h2, which the L7 path does not carry. */
  alpnHttp1: boolean;
}

export type TlsTerminator = (socket: Socket, record: ConnectionRecord) => Promise<TLSSocket>;

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
    ALPNCallback: opts.alpnHttp1 ? ({ protocols }) => (protocols.includes('http/1.1') ? 'http/1.1' : undefined) : undefined,
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
    entry.record.tls = opts.mode;
    if (requestCert) entry.record.peerIdentity = peerIdentityFromSubjectAltName(tlsSocket.getPeerCertificate().subjectaltname) ?? null;
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
  return (socket, record) =>
    new Promise<TLSSocket>((resolve, reject) => {
      pending.set(socket, { record, resolve, reject });
      server.emit('connection', socket);
    });
}

/** A short, bounded reason for the tls_handshake_errors metric: OpenSSL's reason or node's code. */
export function tlsFailureReason(err: NodeJS.ErrnoException & { reason?: string }): string {
  if (typeof err.reason === 'string') return err.reason.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  if (err.code === 'ECONNRESET') return 'connection_reset';
  return (err.code ?? 'unknown').toLowerCase();
}
