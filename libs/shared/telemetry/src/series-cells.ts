// The per-request and per-connection metrics are added up in cells, one per label set, and handed
// to prom-client in one piece per series when the metrics are read (each metric's collect hook,
// which prom-client runs on every /metrics and every registry read) and before each series-expiry
// sweep. prom-client checks and joins the labels of every update (~0.5 µs, several µs under load
// with cold caches) and the expiry did the same again; a cell is found by a key its caller joins
// from the values it has at hand and is one addition. What /metrics shows is the same.
import type { Counter, Gauge, Histogram, LabelValues } from 'prom-client';
import type { SeriesExpiry } from './series-expiry.ts';

export interface Cell<L extends string> {
  readonly labels: LabelValues<L>;
  /** Added since the last hand-over: a counter's increment, a gauge's change. */
  value: number;
  /** Updates since the last hand-over (a counter may be incremented by 0 and still be a series). */
  updates: number;
  /** Hand-overs in a row with no update: past two the cell is dropped (the series stays). */
  idle: number;
}

export interface CellTable<L extends string> {
  /**
   * The cell of one label set, by a key that names its values: any string, as long as the caller
   * builds it the same way for the same values and differently for different ones.
   */
  get(key: string): Cell<L> | undefined;
  /** A new cell for `labels` (copied) under `key`; call it when `get` found none. */
  open(key: string, labels: LabelValues<L>): Cell<L>;
  /** Hands every updated cell to prom-client and the expiry. */
  flush(): void;
  readonly size: number;
}

/** A counter's or gauge's update: `value` is added. */
export function add<L extends string>(cell: Cell<L>, value: number): void {
  cell.value += value;
  cell.updates++;
}

type Target =
  | { kind: 'counter'; metric: Counter<string> }
  | { kind: 'gauge'; metric: Gauge<string> }
  | { kind: 'histogram'; metric: Histogram<string> };

function table<L extends string>(target: Target, expiry: SeriesExpiry | null): CellTable<L> {
  const cells = new Map<string, Cell<L>>();
  return {
    get: (key) => cells.get(key),
    open(key, labels) {
      const cell: Cell<L> = { labels: { ...labels }, value: 0, updates: 0, idle: 0 };
      cells.set(key, cell);
      return cell;
    },
    flush() {
      for (const [key, cell] of cells) {
        if (cell.updates === 0) {
          // Dropping an idle cell only costs its next update a new one; it keeps the table to the
          // label sets in use, whatever comes and goes.
          if (++cell.idle > 2) cells.delete(key);
          continue;
        }
        const labels = cell.labels as LabelValues<string>;
        if (target.kind !== 'histogram') target.metric.inc(labels, cell.value);
        expiry?.touch(target.metric, labels, target.kind === 'gauge' ? cell.value : undefined);
        cell.value = 0;
        cell.updates = 0;
        cell.idle = 0;
      }
    },
    get size() {
      return cells.size;
    },
  };
}

/**
 * A histogram's cells only note that their series was updated: observations still go to
 * prom-client one by one (its buckets have no public way to be added to), with the cell's labels.
 */
export function observe<L extends string>(metric: Histogram<L>, cell: Cell<L>, value: number): void {
  metric.observe(cell.labels, value);
  cell.updates++;
}

/**
 * Cells for one metric; `expiry` (if any) learns of each updated series at each hand-over.
 * Install the table's `flush` as the metric's collect hook (createMetrics does).
 */
export function counterCells<L extends string>(metric: Counter<L>, expiry: SeriesExpiry | null): CellTable<L> {
  return table({ kind: 'counter', metric: metric as Counter<string> }, expiry);
}

export function gaugeCells<L extends string>(metric: Gauge<L>, expiry: SeriesExpiry | null): CellTable<L> {
  return table({ kind: 'gauge', metric: metric as Gauge<string> }, expiry);
}

export function histogramCells<L extends string>(metric: Histogram<L>, expiry: SeriesExpiry | null): CellTable<L> {
  return table({ kind: 'histogram', metric: metric as Histogram<string> }, expiry);
}
