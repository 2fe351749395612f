// Opaque TCP: connect to the upstream (bounded by the connect timeout), then pipe both ways with
// stream.pipeline, keeping half-closes; byte counts and the failure kind go into the record.
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { peerIdentityFromSubjectAltName } from '@outrigger/pki/read';
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
    // Classify by which side failed first; the pipelines below only tear the pair down.
    server.once('error', (err) => {
      record.error ??= server.connecting ? connectErrorKind(err) : classifyError(err, 'upstream');
    });
    client.once('error', () => {
      record.error ??= 'downstream_aborted';
    });
    // The client's bytes flow only once the upstream is up (the connect timeout covers the mTLS
    // handshake too): ending a TLS socket mid-handshake half-closes TCP before its Finished, which
    // the peer can never complete, and every write to a connecting socket adds a listener.
    const unconnected = () => {
      clearTimeout(connectTimer);
      client.destroy();
      server.destroy();
      resolve();
    };
    server.once('close', unconnected);
    client.once('close', unconnected);
    server.once(upstream.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      server.off('close', unconnected);
      client.off('close', unconnected);
      if (upstream.tls) {
        record.tls = 'mutual';
        record.peerIdentity = peerIdentityFromSubjectAltName((server as TLSSocket).getPeerCertificate().subjectaltname) ?? null;
      }
      server.setTimeout(upstream.idleTimeoutMs, () => {
        record.error ??= 'idle_timeout';
        server.destroy();
      });
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
    if (leftover) server.write(leftover);
  });
}

function connectErrorKind(err: Error): ConnectionRecord['error'] {
  const kind = classifyError(err, 'upstream');
  return kind === 'upstream_reset' ? 'upstream_connect_refused' : kind;
}
