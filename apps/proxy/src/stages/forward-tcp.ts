// Opaque TCP: connect to the upstream (bounded by the connect timeout) and pipe both ways with
// stream.pipeline, keeping half-closes; byte counts and the failure kind go into the record.
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { peerIdentityFromSubjectAltName } from '@outrigger/pki';
import { pipeline } from 'node:stream';
import type { Duplex } from 'node:stream';
import { classifyError } from '@outrigger/telemetry';
import type { MeshTlsOptions } from '../mesh-dialer.ts';
import type { ConnectionRecord } from '../record.ts';

export interface TcpUpstream {
  host: string;
  port: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Mesh mTLS to the peer's inbound sidecar (mesh-dialer.ts); absent: plain TCP. */
  tls?: MeshTlsOptions;
}

export function forwardTcp(client: Duplex, record: ConnectionRecord, upstream: TcpUpstream, leftover: Buffer | null): Promise<void> {
  record.upstreamHost = upstream.host.includes(':') ? `[${upstream.host}]:${upstream.port}` : `${upstream.host}:${upstream.port}`;
  return new Promise((resolve) => {
    const target = { host: upstream.host, port: upstream.port, allowHalfOpen: true, noDelay: true };
    const server: Socket = upstream.tls ? connectTls({ ...target, ...upstream.tls }) : connect(target);
    upstream.tls?.keepSessions(server as TLSSocket);
    const connectTimer = setTimeout(() => {
      record.error ??= 'upstream_connect_timeout';
      server.destroy();
      client.destroy();
    }, upstream.connectTimeoutMs);
    // Classify by which side failed first; pipeline below only tears the pair down.
    server.once('error', (err) => {
      record.error ??= server.connecting ? connectErrorKind(err) : classifyError(err, 'upstream');
    });
    client.once('error', () => {
      record.error ??= 'downstream_aborted';
    });
    server.once('close', () => clearTimeout(connectTimer));
    // The connect timeout covers the mTLS handshake too.
    server.once(upstream.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      if (upstream.tls) {
        record.tls = 'mutual';
        record.peerIdentity = peerIdentityFromSubjectAltName((server as TLSSocket).getPeerCertificate().subjectaltname) ?? null;
      }
      server.setTimeout(upstream.idleTimeoutMs, () => {
        record.error ??= 'idle_timeout';
        server.destroy();
      });
    });
    if (leftover) server.write(leftover);
    let pending = 2;
    const done = () => {
      if (--pending === 0) resolve();
    };
    pipeline(client, server, (err) => {
      if (err) client.destroy();
      done();
    });
    pipeline(server, client, (err) => {
      if (err) server.destroy();
      done();
    });
  });
}

function connectErrorKind(err: Error): ConnectionRecord['error'] {
  const kind = classifyError(err, 'upstream');
  return kind === 'upstream_reset' ? 'upstream_connect_refused' : kind;
}
