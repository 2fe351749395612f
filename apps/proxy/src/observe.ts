// The one place that writes metrics and access-log lines, from the records the stages filled in:
// when a request ends, and when a connection closes. Stages never touch the registry or the log.
import type { Counter, LabelValues } from 'prom-client';
import { ERROR_KINDS, add, observe, type AccessLog, type AccessLogRecord, type ByteLabel, type Cell, type CellTable, type ConnectionLabel, type Metrics, type SeriesExpiry } from '@outrigger/telemetry';
import type { ConnectionRecord, RequestRecord } from './record.ts';
import type { RecordFeed } from './record-feed.ts';

export interface Observer {
  /** The connection's TLS and protocol are known (after detection): count it as open. */
  connectionRouted(record: ConnectionRecord): void;
  connectionClosed(record: ConnectionRecord): void;
  requestEnded(request: RequestRecord): void;
  /** The listener was at its connection limit and closed a new connection unserved. */
  connectionDropped(direction: ConnectionRecord['direction']): void;
}

export interface ObserverDeps {
  metrics: Metrics;
  /** The access log in use (a config reload may replace it). */
  accessLog: () => AccessLog;
  /**
   * Every series update is reported here, so series idle for long are dropped (bounded /metrics);
   * the cells of `metrics` report theirs when they hand them over.
   */
  expiry: SeriesExpiry;
  /** Monotonic milliseconds (performance.now), the clock records are stamped with. */
  now: () => number;
  wallNow: () => number;
  /** The dashboard's recent requests and `GET /tap` read the same records as the access log. */
  feed?: RecordFeed;
}

export function createObserver({ metrics, accessLog, expiry, now, wallNow, feed }: ObserverDeps): Observer {
  const log = (record: AccessLogRecord) => {
    accessLog().write(record);
    feed?.publish(record);
  };
  // Errors and denials are rare: straight to prom-client. The per-request and per-connection series
  // go through cells, found by keys joined from the record's values (series-cells.ts).
  const count = (metric: Counter<string>, labels: LabelValues<string>, value = 1) => {
    metric.inc(labels, value);
    expiry.touch(metric, labels);
  };
  const { cells } = metrics;
  // One key per connection for its connection series and one for its byte series: a key's hash is
  // computed on its first lookup and kept with the string for the next tables.
  const connectionCell = (table: CellTable<ConnectionLabel>, key: string, r: ConnectionRecord): Cell<ConnectionLabel> =>
    table.get(key) ?? table.open(key, { direction: r.direction, tls: r.tls, protocol: r.protocol });
  const connectionKey = (r: ConnectionRecord) => `${r.direction} ${r.tls} ${r.protocol}`;
  const byteCell = (table: CellTable<ByteLabel>, key: string, r: ConnectionRecord): Cell<ByteLabel> =>
    table.get(key) ?? table.open(key, { direction: r.direction, tls: r.tls });
  // Requests that start in the same millisecond share one formatted time (toISOString is a few µs).
  let lastMs = NaN;
  let lastIso = '';
  const isoAt = (monotonic: number) => {
    const ms = Math.floor(wallNow() - (now() - monotonic));
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return lastIso;
  };

  function connectionRouted(record: ConnectionRecord): void {
    if (record.opened) return;
    record.opened = true;
    const key = connectionKey(record);
    add(connectionCell(cells.tcpOpened, key, record), 1);
    add(connectionCell(cells.tcpOpen, key, record), +1);
  }

  return {
    connectionDropped: (direction) => count(metrics.proxyErrors, { direction, error: 'connection_limit' }),
    connectionRouted,
    connectionClosed(record) {
      connectionRouted(record);
      const key = connectionKey(record);
      add(connectionCell(cells.tcpClosed, key, record), 1);
      add(connectionCell(cells.tcpOpen, key, record), -1);
      const byteKey = `${record.direction} ${record.tls}`;
      add(byteCell(cells.tcpReceivedBytes, byteKey, record), record.bytesReceived);
      add(byteCell(cells.tcpSentBytes, byteKey, record), record.bytesSent);
      if (record.tlsFailure) count(metrics.tlsHandshakeErrors, { direction: record.direction, reason: record.tlsFailure });
      if (record.detectTimedOut) count(metrics.detectTimeouts, { direction: record.direction, port: String(record.origPort ?? record.port) });
      if (record.error && record.requests === 0) count(metrics.proxyErrors, { direction: record.direction, error: record.error });
      if (record.denied && record.requests === 0) count(metrics.authzDenied, { port: String(record.origPort ?? record.port), reason: record.denied });
      // HTTP connections are logged per request; everything else gets one line per connection.
      if (record.requests > 0) return;
      log(connectionLine(record, isoAt(record.startedAt), now() - record.startedAt));
    },
    requestEnded(request) {
      const connection = request.connection;
      const failed = request.responseCode >= 500 || (request.error !== null && request.error !== 'downstream_aborted');
      const classification = failed ? 'failure' : 'success';
      const inbound = connection.direction === 'inbound';
      const peer = inbound ? (connection.peerIdentity ?? '') : '';
      const authority = inbound ? '' : (request.authority ?? '');
      // Every value but the last two is a word of a fixed vocabulary, and one of those two is always
      // empty (peer inbound, authority outbound): the key tells label sets apart.
      const requestsKey = `${connection.direction} ${request.responseCode} ${classification} ${connection.tls} ${peer} ${authority}`;
      add(cells.requests.get(requestsKey) ?? cells.requests.open(requestsKey, {
        direction: connection.direction,
        status_code: String(request.responseCode),
        classification,
        tls: connection.tls,
        peer_identity: peer,
        authority,
      }), 1);
      const durationMs = now() - request.startedAt;
      const durationKey = `${connection.direction} ${classification} ${connection.tls}`;
      const durationCell = cells.requestDuration.get(durationKey) ?? cells.requestDuration.open(durationKey, { direction: connection.direction, classification, tls: connection.tls });
      observe(metrics.requestDuration, durationCell, durationMs / 1000);
      if (request.error) count(metrics.proxyErrors, { direction: connection.direction, error: request.error });
      if (request.error === 'authz_denied') count(metrics.authzDenied, { port: String(connection.origPort ?? connection.port), reason: connection.denied ?? 'not_allowed' });
      log(requestLine(request, isoAt(request.startedAt), durationMs));
    },
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

function requestLine(r: RequestRecord, time: string, durationMs: number): AccessLogRecord {
  const c = r.connection;
  return {
    time,
    direction: c.direction,
    protocol: r.protocol,
    method: r.method,
    path: r.path,
    authority: r.authority,
    response_code: r.responseCode,
    response_flags: r.responseFlags.length ? r.responseFlags.join(',') : '-',
    error: r.error,
    bytes_received: r.bytesReceived,
    bytes_sent: r.bytesSent,
    duration_ms: round(durationMs),
    upstream_service_time_ms: r.upstreamStartedAt !== null && r.upstreamHeadersAt !== null ? round(r.upstreamHeadersAt - r.upstreamStartedAt) : null,
    upstream_host: c.upstreamHost || null,
    downstream_remote_address: c.downstreamRemote,
    downstream_local_address: c.downstreamLocal,
    peer_identity: c.peerIdentity,
    tls: c.tls,
    request_id: r.requestId,
    user_agent: r.userAgent,
    x_forwarded_for: r.xForwardedFor,
  };
}

function connectionLine(c: ConnectionRecord, time: string, durationMs: number): AccessLogRecord {
  return {
    time,
    direction: c.direction,
    protocol: c.protocol,
    method: null,
    path: null,
    authority: null,
    response_code: 0,
    response_flags: connectionFlags(c),
    error: c.error,
    bytes_received: c.bytesReceived,
    bytes_sent: c.bytesSent,
    duration_ms: round(durationMs),
    upstream_service_time_ms: null,
    upstream_host: c.upstreamHost || null,
    downstream_remote_address: c.downstreamRemote,
    downstream_local_address: c.downstreamLocal,
    peer_identity: c.peerIdentity,
    tls: c.tls,
    request_id: null,
    user_agent: null,
    x_forwarded_for: null,
  };
}

function connectionFlags(c: ConnectionRecord): string {
  const flags = [...c.responseFlags];
  if (c.error && ERROR_KINDS[c.error].flag !== '-') flags.push(ERROR_KINDS[c.error].flag);
  if (c.detectTimedOut) flags.push(ERROR_KINDS.detect_timeout.flag);
  return flags.length ? [...new Set(flags)].join(',') : '-';
}
