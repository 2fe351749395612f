// Terminates TLS on an accepted socket: `server` presents the workload certificate only (as an
// nginx sidecar in front of a legacy app does); `mutual` also requires a client certificate that
// chains to the trust bundle (and, for the mesh, carries a SPIFFE ID of the trust domain), and
// records the peer's identity. Bounded by a handshake timeout; TLS 1.2 at least.
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext, type SecureContextOptions } from 'node:tls';
import { parseSpiffeId, parseTrustBundle, peerIdentityFromSubjectAltName, verifyLeafCertificate, type TrustBundle } from '@outrigger/pki/read';
import { OutriggerError, type ErrorKind } from '@outrigger/telemetry';
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

/**
 * A server context that can resume sessions: with client certificates requested, OpenSSL refuses
 * a resumption ("session id context uninitialized", alert internal_error) unless the context has a
 * session id context. tls.Server sets one on its own contexts; ours are built here, so we do too
 * (through the native context that tls.Server itself uses).
 */
function serverContext(options: SecureContextOptions): SecureContext {
  const context = createSecureContext(options);
  (context as SecureContext & { context: { setSessionIdContext(id: string): void } }).context.setSessionIdContext('outrigger');
  return context;
}

export function createTlsTerminator(opts: TlsTerminatorOptions): TlsTerminator {
  const requestCert = opts.mode === 'mutual';
  let context: SecureContext = serverContext(opts.contextOptions);
  let bundle = bundleOf(opts.contextOptions);
  const ALPNCallback = ({ protocols }: { protocols: string[] }) =>
    protocols.includes(MESH_ALPN) ? MESH_ALPN : opts.alpnHttp1 && protocols.includes('http/1.1') ? 'http/1.1' : undefined;

  function terminate(socket: Socket, record: ConnectionRecord): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      // rejectUnauthorized makes OpenSSL refuse a missing client certificate with a proper alert
      // (certificate_required). node accepts any chain during the handshake and leaves checking
      // it to the server, which is done below with the trust bundle, with a bounded reason.
      const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext: context, requestCert, rejectUnauthorized: requestCert, ALPNCallback });
      let settled = false;
      const fail = (reason: string, kind: ErrorKind, cause?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        record.tlsFailure = reason;
        record.error ??= kind;
        tlsSocket.destroy();
        socket.destroy();
        reject(new OutriggerError(kind, `TLS handshake failed: ${reason}`, { cause }));
      };
      const timer = setTimeout(() => fail('timeout', 'tls_handshake_failed'), opts.handshakeTimeoutMs);
      const failed = (err: NodeJS.ErrnoException & { reason?: string }) => {
        const reason = tlsFailureReason(err);
        fail(reason, reason === 'peer_did_not_return_a_certificate' ? 'client_cert_required' : 'tls_handshake_failed', err);
      };
      // A client that half-closes before its Finished can never finish the handshake; without the
      // 'end' listener it would wait for the handshake timeout (the raw socket allows half-open).
      const closedEarly = () => fail('closed', 'tls_handshake_failed');
      tlsSocket.on('error', failed);
      tlsSocket.once('close', closedEarly);
      tlsSocket.once('end', closedEarly);
      tlsSocket.once('secure', () => {
        if (settled) return;
        if (requestCert) {
          const peer = tlsSocket.getPeerX509Certificate();
          if (!peer) return fail('no_client_certificate', 'client_cert_required');
          const verified = bundle.ok ? verifyLeafCertificate(peer, bundle.cas) : bundle;
          if (!verified.ok) return fail(verifyReason(verified.reason), 'client_cert_rejected');
          record.peerIdentity = peerIdentityFromSubjectAltName(peer.subjectAltName) ?? null;
          const id = record.peerIdentity ? parseSpiffeId(record.peerIdentity) : null;
          if (opts.trustDomain && (!id?.ok || id.id.trustDomain !== opts.trustDomain)) {
            return fail(record.peerIdentity ? 'wrong_trust_domain' : 'no_spiffe_id', 'client_cert_rejected');
          }
        }
        settled = true;
        clearTimeout(timer);
        record.tls = opts.mode;
        // Only ours: node's own listeners stay (onSocketCloseDestroySSL frees the SSL object on
        // close, onReadableStreamEnd ends a socket that does not allow half-open).
        tlsSocket.off('error', failed);
        tlsSocket.off('close', closedEarly);
        tlsSocket.off('end', closedEarly);
        tlsSocket.on('error', () => {}); // later errors belong to the forwarding stage, which classifies them
        resolve(tlsSocket);
      });
    });
  }

  return {
    terminate,
    setContext(contextOptions) {
      context = serverContext(contextOptions);
      bundle = bundleOf(contextOptions);
    },
  };
}

/** Parsed once per context, not per handshake. */
function bundleOf(options: SecureContextOptions): TrustBundle {
  const ca = options.ca;
  return parseTrustBundle(ca ? (Array.isArray(ca) ? ca : [ca]).map((c) => c.toString()) : []);
}

/** verifyLeaf's sentence as a bounded metric reason. */
function verifyReason(reason: string): string {
  if (/expired/.test(reason)) return 'cert_has_expired';
  if (/not valid until/.test(reason)) return 'cert_not_yet_valid';
  if (/not signed by any CA/.test(reason)) return 'unknown_ca';
  if (/is a CA certificate/.test(reason)) return 'not_a_leaf';
  if (/trust bundle is empty/.test(reason)) return 'empty_trust_bundle';
  return 'invalid_certificate';
}

/** A short, bounded reason for the tls_handshake_errors metric: OpenSSL's reason or node's code. */
export function tlsFailureReason(err: NodeJS.ErrnoException & { reason?: string }): string {
  if (typeof err.reason === 'string') return err.reason.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  if (err.code === 'ECONNRESET') return 'connection_reset';
  return (err.code ?? 'unknown').toLowerCase();
}
