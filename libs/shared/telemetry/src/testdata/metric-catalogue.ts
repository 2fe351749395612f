// The metric catalogue of DESIGN section 5 as a table, shared by metrics.spec.ts and docs.spec.ts.
import type { Metrics } from '../metrics.ts';

export const CATALOGUE: [field: Exclude<keyof Metrics, 'registry' | 'cells'>, name: string, type: string, labels: string[]][] = [
  ['requests', 'outrigger_requests_total', 'counter', ['direction', 'status_code', 'classification', 'tls', 'peer_identity', 'authority']],
  ['requestDuration', 'outrigger_request_duration_seconds', 'histogram', ['direction', 'classification', 'tls']],
  ['tcpOpened', 'outrigger_tcp_connections_opened_total', 'counter', ['direction', 'tls', 'protocol']],
  ['tcpClosed', 'outrigger_tcp_connections_closed_total', 'counter', ['direction', 'tls', 'protocol']],
  ['tcpOpen', 'outrigger_tcp_open_connections', 'gauge', ['direction', 'tls', 'protocol']],
  ['tcpReceivedBytes', 'outrigger_tcp_received_bytes_total', 'counter', ['direction', 'tls']],
  ['tcpSentBytes', 'outrigger_tcp_sent_bytes_total', 'counter', ['direction', 'tls']],
  ['tlsHandshakeErrors', 'outrigger_tls_handshake_errors_total', 'counter', ['direction', 'reason']],
  ['authzDenied', 'outrigger_authz_denied_total', 'counter', ['port', 'reason']],
  ['detectTimeouts', 'outrigger_protocol_detect_timeouts_total', 'counter', ['direction', 'port']],
  ['proxyErrors', 'outrigger_proxy_errors_total', 'counter', ['direction', 'error']],
  ['certExpiration', 'outrigger_identity_cert_expiration_timestamp_seconds', 'gauge', []],
  ['configReloads', 'outrigger_config_reloads_total', 'counter', ['component', 'result']],
  ['buildInfo', 'outrigger_build_info', 'gauge', ['version', 'node_version']],
  ['appScrapeErrors', 'outrigger_app_metrics_scrape_errors_total', 'counter', ['reason']],
];
