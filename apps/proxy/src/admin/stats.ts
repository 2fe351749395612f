// The dashboard's numbers, computed from Outrigger's own registry: request and error totals, failed TLS handshakes,
// latency percentiles from the duration histogram, open connections, certificate expiry. Pure
// over the metric values it is given.
import type { MetricObject, MetricValue } from 'prom-client';

export interface Stats {
  requests: number;
  /** Requests classified failure: 5xx, and what the proxy refused or could not forward. */
  failures: number;
  /** TLS handshakes that failed: clients refused before any request (no or a foreign certificate, not TLS). */
  tlsHandshakeFailures: number;
  openConnections: number;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null };
  certExpiresAt: string | null;
}

type Values = MetricObject & { values: MetricValue<string>[] };

const sum = (m: Values | undefined, pick: (labels: Record<string, string | number>) => boolean = () => true) =>
  (m?.values ?? []).filter((v) => pick(v.labels as Record<string, string | number>)).reduce((a, v) => a + v.value, 0);

/** Percentile from cumulative histogram buckets (all label sets added), interpolated in its bucket. */
export function percentile(buckets: Map<number, number>, q: number): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bound of bounds) {
    const count = buckets.get(bound) ?? 0;
    if (count >= rank) {
      if (bound === Infinity) return lowerBound;
      const fraction = count === lowerCount ? 1 : (rank - lowerCount) / (count - lowerCount);
      return lowerBound + (bound - lowerBound) * fraction;
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

export function computeStats(metrics: Values[]): Stats {
  const byName = new Map(metrics.map((m) => [m.name, m]));
  const buckets = new Map<number, number>();
  for (const v of byName.get('outrigger_request_duration_seconds')?.values ?? []) {
    if ((v as { metricName?: string }).metricName !== 'outrigger_request_duration_seconds_bucket') continue;
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + v.value);
  }
  const ms = (q: number) => {
    const seconds = percentile(buckets, q);
    return seconds === null ? null : Math.round(seconds * 100_000) / 100;
  };
  const expiry = sum(byName.get('outrigger_identity_cert_expiration_timestamp_seconds'));
  return {
    requests: sum(byName.get('outrigger_requests_total')),
    failures: sum(byName.get('outrigger_requests_total'), (l) => l.classification === 'failure'),
    tlsHandshakeFailures: sum(byName.get('outrigger_tls_handshake_errors_total')),
    openConnections: sum(byName.get('outrigger_tcp_open_connections')),
    latencyMs: { p50: ms(0.5), p90: ms(0.9), p99: ms(0.99) },
    certExpiresAt: expiry > 0 ? new Date(expiry * 1000).toISOString() : null,
  };
}
