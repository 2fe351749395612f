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
  /** Run before every sweep: updates held back from touch() (series-cells.ts) are reported first. */
  beforeSweep(hook: () => void): void;
  readonly size: number;
  stop(): void;
}

export const DEFAULT_SERIES_IDLE_MS = 10 * 60 * 1000;

export function startSeriesExpiry(opts: { idleMs?: number; intervalMs?: number; now?: () => number } = {}): SeriesExpiry {
  const idleMs = opts.idleMs ?? DEFAULT_SERIES_IDLE_MS;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  // Per metric, once: its key prefix and its label names in sorted order (a sort per update was
  // a few µs of every request and connection). A metric's label names are fixed when it is made.
  const shapes = new WeakMap<Removable, { prefix: string; names: string[] }>();
  let nextId = 0;
  const shapeOf = (metric: Removable, labels: LabelValues<string>) => {
    let shape = shapes.get(metric);
    if (shape === undefined) {
      const declared = (metric as { labelNames?: readonly string[] }).labelNames;
      shape = { prefix: String(nextId++), names: [...(declared?.length ? declared : Object.keys(labels))].sort() };
      shapes.set(metric, shape);
    }
    return shape;
  };

  const hooks: (() => void)[] = [];
  const sweep = (): number => {
    for (const hook of hooks) hook();
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
      const shape = shapeOf(metric, labels);
      let key = shape.prefix;
      for (const name of shape.names) key += `\u0000${labels[name]}`;
      const entry = entries.get(key);
      if (entry) {
        entry.last = now();
        if (gaugeDelta !== undefined) entry.gauge = (entry.gauge ?? 0) + gaugeDelta;
      } else {
        entries.set(key, { metric, labels: { ...labels }, last: now(), gauge: gaugeDelta ?? null });
      }
    },
    sweep,
    beforeSweep: (hook) => void hooks.push(hook),
    get size() {
      return entries.size;
    },
    stop: () => clearInterval(timer),
  };
}
