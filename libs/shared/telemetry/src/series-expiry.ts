// Idle label series expire: a series (one label set of one metric) not updated for `idleMs` is
// removed, so peers, authorities and ports that come and go cannot grow /metrics without end.
// A gauge series is kept while its value is not zero (an open connection is not idle).
import type { LabelValues } from 'prom-client';

interface Removable {
  readonly name?: string;
  remove(labels: LabelValues<string>): void;
}

interface Entry {
  metric: Removable;
  labels: LabelValues<string>;
  last: number;
  gauge: number | null;
}

export interface SeriesExpiry {
  /** Record an update of this series; gauges pass the change they applied. */
  touch(metric: Removable, labels: LabelValues<string>, gaugeDelta?: number): void;
  /** Remove idle series now; returns how many were removed. */
  sweep(): number;
  readonly size: number;
  stop(): void;
}

export const DEFAULT_SERIES_IDLE_MS = 10 * 60 * 1000;

export function startSeriesExpiry(opts: { idleMs?: number; intervalMs?: number; now?: () => number } = {}): SeriesExpiry {
  const idleMs = opts.idleMs ?? DEFAULT_SERIES_IDLE_MS;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const ids = new WeakMap<Removable, number>();
  let nextId = 0;
  const idOf = (metric: Removable) => {
    let id = ids.get(metric);
    if (id === undefined) ids.set(metric, (id = nextId++));
    return id;
  };

  const sweep = (): number => {
    const cutoff = now() - idleMs;
    let removed = 0;
    for (const [key, entry] of entries) {
      if (entry.last > cutoff || (entry.gauge !== null && entry.gauge !== 0)) continue;
      entry.metric.remove(entry.labels);
      entries.delete(key);
      removed++;
    }
    return removed;
  };
  const timer = setInterval(sweep, opts.intervalMs ?? Math.min(idleMs / 2, 60_000));
  timer.unref();

  return {
    touch(metric, labels, gaugeDelta) {
      let key = `${idOf(metric)}`;
      for (const name of Object.keys(labels).sort()) key += `\u0000${labels[name]}`;
      const entry = entries.get(key);
      if (entry) {
        entry.last = now();
        if (gaugeDelta !== undefined) entry.gauge = (entry.gauge ?? 0) + gaugeDelta;
      } else {
        entries.set(key, { metric, labels: { ...labels }, last: now(), gauge: gaugeDelta ?? null });
      }
    },
    sweep,
    get size() {
      return entries.size;
    },
    stop: () => clearInterval(timer),
  };
}
