// What the proxy learns about one connection and one HTTP request as they pass the stages. Stages
// fill these in; observe.ts turns them into metrics and one access-log line when they end.
import type { ErrorKind } from '@outrigger/telemetry';

export type Direction = 'inbound' | 'outbound';
export type TlsKind = 'mutual' | 'server' | 'none';

export interface ConnectionRecord {
  readonly id: number;
  readonly direction: Direction;
  readonly listener: string;
  /** The listener's port. */
  readonly port: number;
  /** Transparent mode: the port the client meant to reach (before the REDIRECT). */
  origPort: number | null;
  readonly startedAt: number;
  downstreamRemote: string;
  downstreamLocal: string;
  tls: TlsKind;
  /** Inbound: the client was a mesh sidecar (mesh mTLS), not an HTTPS client of an edge listener. */
  meshHop: boolean;
  peerIdentity: string | null;
  /** 'tcp' until detection says otherwise; 'http/1.1' for connections served by the HTTP path. */
  protocol: string;
  upstreamHost: string;
  bytesReceived: number;
  bytesSent: number;
  error: ErrorKind | null;
  responseFlags: string[];
  /** Why the TLS handshake failed (bounded: OpenSSL reason or verification code), if it did. */
  tlsFailure: string | null;
  /** Why authorization refused this connection's peer (its requests get 403), if it did. */
  denied: string | null;
  /** Protocol detection gave up at its deadline and fell back to opaque TCP. */
  detectTimedOut: boolean;
  requests: number;
  /** Set once opened metrics were counted, so close is counted exactly once. */
  opened: boolean;
}

export interface RequestRecord {
  readonly connection: ConnectionRecord;
  readonly startedAt: number;
  /** Null for a request refused before its headers were complete (431, 400, 408 from the proxy). */
  method: string | null;
  path: string | null;
  authority: string | null;
  protocol: string;
  requestId: string;
  userAgent: string | null;
  xForwardedFor: string | null;
  responseCode: number;
  bytesReceived: number;
  bytesSent: number;
  upstreamStartedAt: number | null;
  upstreamHeadersAt: number | null;
  error: ErrorKind | null;
  responseFlags: string[];
}

let nextId = 1;

export function newConnectionRecord(init: { direction: Direction; listener: string; port: number; now: number }): ConnectionRecord {
  return {
    id: nextId++,
    direction: init.direction,
    listener: init.listener,
    port: init.port,
    origPort: null,
    startedAt: init.now,
    downstreamRemote: '',
    downstreamLocal: '',
    tls: 'none',
    meshHop: false,
    peerIdentity: null,
    protocol: 'tcp',
    upstreamHost: '',
    bytesReceived: 0,
    bytesSent: 0,
    error: null,
    responseFlags: [],
    tlsFailure: null,
    denied: null,
    detectTimedOut: false,
    requests: 0,
    opened: false,
  };
}

export function formatAddress(address: string | undefined, port: number | undefined): string {
  if (!address) return '';
  const host = address.startsWith('::ffff:') ? address.slice(7) : address;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
