// The Prometheus metric catalogue of DESIGN section 5, in a registry of its own per process (never
// prom-client's global one, so two proxies in one test process do not collide), plus the Node.js
// process metrics and the /metrics rendering. docs/reference/metrics.md documents each metric.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { counterCells, gaugeCells, histogramCells, type CellTable } from './series-cells.ts';
import type { SeriesExpiry } from './series-expiry.ts';

// Every label value is a bounded string: never a peer IP, port of a client, path or request id.
// - direction: 'inbound' | 'outbound'; tls: 'mutual' | 'server' | 'none'
// - classification: 'success' | 'failure'; status_code: the HTTP status sent, as a string
// - peer_identity: the client's SPIFFE ID (inbound only, '' otherwise): bounded by the number of
//   workloads (service accounts) in the mesh, not by the number of pods or connections
// - authority: host:port of the destination service (outbound only, '' otherwise): bounded by the
//   services this workload calls
// - protocol: 'http/1.1' | 'http/1.0' | 'tcp' | 'tls'; port: a listener or original-destination port
// - reason, error: an ErrorKind or a short fixed reason; component, result: fixed vocabularies
export type RequestLabel = 'direction' | 'status_code' | 'classification' | 'tls' | 'peer_identity' | 'authority';
export type DurationLabel = 'direction' | 'classification' | 'tls';
export type ConnectionLabel = 'direction' | 'tls' | 'protocol';
export type ByteLabel = 'direction' | 'tls';

/** Seconds. A sidecar hop costs well under a millisecond, so the low end is fine-grained. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<RequestLabel>;
  readonly requestDuration: Histogram<DurationLabel>;
  readonly tcpOpened: Counter<ConnectionLabel>;
  readonly tcpClosed: Counter<ConnectionLabel>;
  readonly tcpOpen: Gauge<ConnectionLabel>;
  readonly tcpReceivedBytes: Counter<ByteLabel>;
  readonly tcpSentBytes: Counter<ByteLabel>;
  readonly tlsHandshakeErrors: Counter<'direction' | 'reason'>;
  readonly authzDenied: Counter<'port' | 'reason'>;
  readonly detectTimeouts: Counter<'direction' | 'port'>;
  readonly proxyErrors: Counter<'direction' | 'error'>;
  readonly certExpiration: Gauge;
  readonly configReloads: Counter<'component' | 'result'>;
  readonly buildInfo: Gauge<'version' | 'node_version'>;
  readonly appScrapeErrors: Counter<'reason'>;
  /**
   * The per-request and per-connection metrics' cells (series-cells.ts): the hot path updates
   * these, never the metrics above directly, and they reach the metrics whenever those are read.
   */
  readonly cells: HotCells;
}

/** The metrics updated per request or per connection. */
export type HotMetric = 'requests' | 'requestDuration' | 'tcpOpened' | 'tcpClosed' | 'tcpOpen' | 'tcpReceivedBytes' | 'tcpSentBytes';
type LabelsOf<M> = M extends Counter<infer L> ? L : M extends Gauge<infer L> ? L : M extends Histogram<infer L> ? L : never;
export type HotCells = { readonly [K in HotMetric]: CellTable<LabelsOf<Metrics[K]>> };

export interface MetricsOptions {
  /** Version of the running app for outrigger_build_info. */
  version?: string;
  /** Told of every updated series of the cells, and runs their hand-over before each sweep. */
  expiry?: SeriesExpiry;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const expiry = opts.expiry ?? null;
  // A metric with cells hands them over in its collect hook, which prom-client runs on every read.
  const flushers = new Map<object, () => void>();
  function collect(this: object): void {
    flushers.get(this)?.();
  }
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers, collect });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name, help, labelNames, registers, collect });

  const metrics: Omit<Metrics, 'cells'> = {
    registry,
    requests: counter('outrigger_requests_total',
      'HTTP requests proxied, by the status sent to the client. peer_identity is set on inbound, authority on outbound.',
      ['direction', 'status_code', 'classification', 'tls', 'peer_identity', 'authority']),
    requestDuration: new Histogram<DurationLabel>({
      name: 'outrigger_request_duration_seconds',
      help: 'Time from the first request byte to the last response byte of proxied HTTP requests, in seconds.',
      labelNames: ['direction', 'classification', 'tls'],
      buckets: [...REQUEST_DURATION_BUCKETS],
      registers,
      collect,
    }),
    tcpOpened: counter('outrigger_tcp_connections_opened_total',
      'TCP connections accepted by the proxy listeners.', ['direction', 'tls', 'protocol']),
    tcpClosed: counter('outrigger_tcp_connections_closed_total',
      'TCP connections closed, for any reason.', ['direction', 'tls', 'protocol']),
    tcpOpen: gauge('outrigger_tcp_open_connections',
      'TCP connections currently open.', ['direction', 'tls', 'protocol']),
    tcpReceivedBytes: counter('outrigger_tcp_received_bytes_total',
      'Bytes received from clients (downstream), after TLS decryption.', ['direction', 'tls']),
    tcpSentBytes: counter('outrigger_tcp_sent_bytes_total',
      'Bytes sent to clients (downstream), before TLS encryption.', ['direction', 'tls']),
    tlsHandshakeErrors: counter('outrigger_tls_handshake_errors_total',
      'TLS handshakes that failed, by reason: OpenSSL\'s (lowercase) or the client certificate check\'s.', ['direction', 'reason']),
    authzDenied: counter('outrigger_authz_denied_total',
      'Inbound connections or requests refused by the port\'s mode or allow-list.', ['port', 'reason']),
    detectTimeouts: counter('outrigger_protocol_detect_timeouts_total',
      'Connections whose protocol detection timed out and that were forwarded as opaque TCP.', ['direction', 'port']),
    proxyErrors: counter('outrigger_proxy_errors_total',
      'Requests and connections that ended in an error; error is an Outrigger error kind.', ['direction', 'error']),
    certExpiration: new Gauge({
      name: 'outrigger_identity_cert_expiration_timestamp_seconds',
      help: 'Expiry of the current workload identity certificate, in seconds since the Unix epoch.',
      registers,
    }),
    configReloads: counter('outrigger_config_reloads_total',
      'Configuration reload attempts; result is success, restart_required (applied in part: some changes need a restart) or invalid (refused).', ['component', 'result']),
    buildInfo: gauge('outrigger_build_info',
      'Always 1; the labels say which Outrigger and Node.js versions are running.', ['version', 'node_version']),
    appScrapeErrors: counter('outrigger_app_metrics_scrape_errors_total',
      'Scrapes of the app\'s own metrics (merged into /metrics) that failed; reason is timeout, refused, status or invalid.', ['reason']),
  };
  metrics.buildInfo.set({ version: opts.version ?? 'unknown', node_version: process.version }, 1);
  const cells: HotCells = {
    requests: counterCells(metrics.requests, expiry),
    requestDuration: histogramCells(metrics.requestDuration, expiry),
    tcpOpened: counterCells(metrics.tcpOpened, expiry),
    tcpClosed: counterCells(metrics.tcpClosed, expiry),
    tcpOpen: gaugeCells(metrics.tcpOpen, expiry),
    tcpReceivedBytes: counterCells(metrics.tcpReceivedBytes, expiry),
    tcpSentBytes: counterCells(metrics.tcpSentBytes, expiry),
  };
  for (const key of Object.keys(cells) as (keyof HotCells)[]) flushers.set(metrics[key], cells[key].flush);
  expiry?.beforeSweep(() => {
    for (const table of Object.values(cells)) table.flush();
  });
  return { ...metrics, cells };
}

/**
 * A separate registry with prom-client's process_* and nodejs_* metrics, kept apart so tests of the
 * catalogue stay deterministic. The prefix is prepended to every name (outrigger_process_...).
 */
export function createProcessRegistry(prefix = 'outrigger_'): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return registry;
}

/** The /metrics response body for several registries (names must not repeat across them). */
export async function renderMetrics(registries: Registry[]): Promise<{ contentType: string; body: string }> {
  const merged = Registry.merge(registries.length > 0 ? registries : [new Registry()]);
  return { contentType: merged.contentType, body: await merged.metrics() };
}
