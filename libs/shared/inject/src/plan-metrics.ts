// Prometheus' pod annotations, pointed at the proxy's admin port. When the app already asked to be
// scraped, its own endpoint becomes the proxy's metrics.app.url and the proxy serves both on one
// /metrics, as Istio's metrics merging does: a pod has one scrape target per annotation set.
import { PROMETHEUS } from './names.ts';

export interface MetricsPlan {
  /** The annotations to set (never removes one). Empty when the pod opted out of scraping. */
  set: Record<string, string>;
  /** The app's own endpoint, fetched by the proxy at scrape time. */
  appUrl: string | undefined;
  warnings: string[];
}

export function planMetrics(annotations: Readonly<Record<string, string>>, adminPort: number): MetricsPlan {
  const scrape = annotations[PROMETHEUS.scrape];
  // "false" is the owner saying "do not scrape this pod": the sidecar does not overrule it.
  if (scrape === 'false') return { set: {}, appUrl: undefined, warnings: [] };
  const set: Record<string, string> = { [PROMETHEUS.scrape]: 'true', [PROMETHEUS.port]: String(adminPort), [PROMETHEUS.path]: '/metrics' };
  if (annotations[PROMETHEUS.scheme] !== undefined) set[PROMETHEUS.scheme] = 'http';
  if (scrape !== 'true') return { set, appUrl: undefined, warnings: [] };
  const port = annotations[PROMETHEUS.port];
  if (port === undefined || !/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    // Without a port Prometheus would scrape every declared port; the proxy can only merge one.
    return { set, appUrl: undefined, warnings: [`${PROMETHEUS.scrape} is "true" without a valid ${PROMETHEUS.port}: the app's own metrics are not merged into the proxy's`] };
  }
  const scheme = annotations[PROMETHEUS.scheme] === 'https' ? 'https' : 'http';
  let path = annotations[PROMETHEUS.path] ?? '/metrics';
  if (!path.startsWith('/')) path = `/${path}`;
  return { set, appUrl: `${scheme}://127.0.0.1:${port}${path}`, warnings: [] };
}
