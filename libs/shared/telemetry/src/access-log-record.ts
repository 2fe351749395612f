// The access-log record (one per HTTP request, one per TCP connection) and its JSON line. Pure.
// Field names and order are a contract: docs/reference/access-log.md, the log exporter and users'
// queries depend on them. Add fields only at the end, never rename or reorder.
import type { ErrorKind } from './error-kinds.ts';

export type Direction = 'inbound' | 'outbound';

export interface AccessLogRecord {
  /** Start of the request (HTTP) or of the connection (TCP), ISO 8601 UTC with milliseconds. */
  time: string;
  direction: Direction;
  /** 'http/1.1' or 'http/1.0'; 'tcp' for opaque bytes; 'tls' for TLS the proxy passes through without terminating. */
  protocol: string;
  method: string | null;
  path: string | null;
  authority: string | null;
  /** Status sent to the client; 0 when none was sent (TCP, or the exchange ended first). */
  response_code: number;
  /** Comma-joined response flags, '-' when none. */
  response_flags: string;
  error: ErrorKind | null;
  bytes_received: number;
  bytes_sent: number;
  duration_ms: number;
  upstream_service_time_ms: number | null;
  upstream_host: string | null;
  downstream_remote_address: string;
  downstream_local_address: string;
  peer_identity: string | null;
  /** TLS the proxy itself terminated (inbound) or originated (outbound): 'mutual', 'server' or 'none'. */
  tls: string;
  request_id: string | null;
  user_agent: string | null;
  x_forwarded_for: string | null;
}

export const ACCESS_LOG_FIELDS = [
  'time', 'direction', 'protocol', 'method', 'path', 'authority', 'response_code', 'response_flags',
  'error', 'bytes_received', 'bytes_sent', 'duration_ms', 'upstream_service_time_ms', 'upstream_host',
  'downstream_remote_address', 'downstream_local_address', 'peer_identity', 'tls', 'request_id',
  'user_agent', 'x_forwarded_for',
] as const satisfies readonly (keyof AccessLogRecord)[];

export const NO_RESPONSE_FLAGS = '-';

/** Envoy's notation: flags joined by commas, '-' when there are none. */
export function formatResponseFlags(flags: readonly string[]): string {
  return flags.length === 0 ? NO_RESPONSE_FLAGS : flags.join(',');
}

// Values pass through JSON.stringify one by one (escaping, lone surrogates); the object walk and
// key quoting are done here once, as pino prepares what it can in advance. `== null` and the
// finiteness check keep the line valid JSON even if a caller from plain JS leaves a field unset.
// Most values need no escaping: those are quoted as they are, without a JSON.stringify call (a
// dozen per line were most of the formatting's cost). The test sends anything JSON must escape
// (quote, backslash, control characters) and every surrogate (JSON.stringify escapes lone ones)
// down the exact path.
const NEEDS_JSON_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function str(value: string | null): string {
  if (value == null) return 'null';
  return typeof value === 'string' && !NEEDS_JSON_ESCAPE.test(value) ? '"' + value + '"' : JSON.stringify(value);
}

/**
 * Fields whose values come from the proxy's own fixed vocabulary (direction, protocol, tls, flags,
 * error kinds) or its own formatting (the ISO time): nothing in them needs escaping, so they skip
 * the check. `== null` still writes null for a field left unset.
 */
function own(value: string | null): string {
  return value == null ? 'null' : '"' + value + '"';
}

function num(value: number | null): string {
  return typeof value === 'number' && Number.isFinite(value) ? '' + value : 'null';
}

/** One newline-terminated JSON object with the fields in ACCESS_LOG_FIELDS order. */
export function formatAccessLogLine(r: AccessLogRecord): string {
  return '{"time":' + own(r.time) +
    ',"direction":' + own(r.direction) +
    ',"protocol":' + own(r.protocol) +
    ',"method":' + str(r.method) +
    ',"path":' + str(r.path) +
    ',"authority":' + str(r.authority) +
    ',"response_code":' + num(r.response_code) +
    ',"response_flags":' + own(r.response_flags) +
    ',"error":' + own(r.error) +
    ',"bytes_received":' + num(r.bytes_received) +
    ',"bytes_sent":' + num(r.bytes_sent) +
    ',"duration_ms":' + num(r.duration_ms) +
    ',"upstream_service_time_ms":' + num(r.upstream_service_time_ms) +
    ',"upstream_host":' + str(r.upstream_host) +
    ',"downstream_remote_address":' + str(r.downstream_remote_address) +
    ',"downstream_local_address":' + str(r.downstream_local_address) +
    ',"peer_identity":' + str(r.peer_identity) +
    ',"tls":' + own(r.tls) +
    ',"request_id":' + str(r.request_id) +
    ',"user_agent":' + str(r.user_agent) +
    ',"x_forwarded_for":' + str(r.x_forwarded_for) +
    '}\n';
}
