import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { add, counterCells, gaugeCells, histogramCells, observe } from './series-cells.ts';
import { startSeriesExpiry } from './series-expiry.ts';
import { createMetrics } from './metrics.ts';

const BUCKETS = [0.001, 0.01, 0.1];

/** The same updates, once straight to prom-client and once through cells: the exposition must match. */
test('cells show in the exposition exactly what direct updates show, at any read', async () => {
  const direct = new Registry();
  const viaCells = new Registry();
  const make = (registry: Registry, collect?: () => void) => ({
    counter: new Counter({ name: 't_requests_total', help: 'h', labelNames: ['code', 'peer'], registers: [registry], collect }),
    gauge: new Gauge({ name: 't_open', help: 'h', labelNames: ['tls'], registers: [registry], collect }),
    histogram: new Histogram({ name: 't_seconds', help: 'h', labelNames: ['code'], buckets: BUCKETS, registers: [registry], collect }),
  });
  const d = make(direct);
  const flushes: (() => void)[] = [];
  const c = make(viaCells, () => flushes.forEach((f) => f()));
  const counter = counterCells(c.counter, null);
  const gauge = gaugeCells(c.gauge, null);
  const histogram = histogramCells(c.histogram, null);
  flushes.push(counter.flush, gauge.flush, histogram.flush);

  const updates: [code: string, peer: string, tls: string, delta: number, seconds: number][] = [
    ['200', 'a', 'mutual', +1, 0.0005], ['200', 'a', 'mutual', +1, 0.02], ['503', 'b', 'none', +1, 0.5],
    ['200', 'a', 'mutual', -1, 0.001], ['404', '', 'none', -1, 0.003],
  ];
  for (const [round, [code, peer, tls, delta, seconds]] of updates.entries()) {
    d.counter.inc({ code, peer }, round);
    d.gauge.inc({ tls }, delta);
    d.histogram.observe({ code }, seconds);
    add(counter.get(`${code} ${peer}`) ?? counter.open(`${code} ${peer}`, { code, peer }), round);
    add(gauge.get(tls) ?? gauge.open(tls, { tls }), delta);
    observe(c.histogram, histogram.get(code) ?? histogram.open(code, { code }), seconds);
    // Read after every update: each read hands the cells over, the next updates start again at 0.
    assert.equal(await viaCells.metrics(), await direct.metrics(), `after update ${round}`);
  }
  assert.match(await viaCells.metrics(), /t_requests_total\{code="200",peer="a"\} 4/);
  assert.match(await viaCells.metrics(), /t_requests_total\{code="200",peer="a"\} 4/, 'a second read adds nothing');
  assert.match(await viaCells.metrics(), /t_requests_total\{code="503",peer="b"\} 2/);
  assert.match(await viaCells.metrics(), /t_open\{tls="none"\} 0/);
  assert.match(await viaCells.metrics(), /t_seconds_count\{code="200"\} 3/);
});

test('a counter added 0 is still a series, as prom-client makes it', async () => {
  const registry = new Registry();
  let table: ReturnType<typeof counterCells<'tls'>> | null = null;
  const bytes = new Counter({ name: 't_bytes_total', help: 'h', labelNames: ['tls'], registers: [registry], collect: () => table?.flush() });
  table = counterCells(bytes, null);
  add(table.open('none', { tls: 'none' }), 0);
  assert.match(await registry.metrics(), /t_bytes_total\{tls="none"\} 0/);
});

test('cells not updated for three hand-overs leave the table; later updates open new ones and add up', async () => {
  const registry = new Registry();
  const counter = new Counter({ name: 't_c_total', help: 'h', labelNames: ['peer'], registers: [registry] });
  const table = counterCells(counter, null);
  add(table.open('a', { peer: 'a' }), 2);
  table.flush();
  for (let i = 0; i < 3; i++) {
    assert.equal(table.size, 1, `idle hand-over ${i}`);
    table.flush();
  }
  assert.equal(table.size, 0);
  assert.equal(table.get('a'), undefined);
  add(table.get('a') ?? table.open('a', { peer: 'a' }), 3);
  table.flush();
  assert.match(await registry.metrics(), /t_c_total\{peer="a"\} 5/);
});

test('the expiry hears of updates held in cells before it sweeps: an active series is never swept', async () => {
  let clock = 0;
  const expiry = startSeriesExpiry({ idleMs: 1000, intervalMs: 1_000_000, now: () => clock });
  try {
    const metrics = createMetrics({ expiry });
    const { cells } = metrics;
    const labels = { direction: 'inbound', tls: 'mutual', protocol: 'http/1.1' } as const;
    add(cells.tcpOpened.open('k', labels), 1);
    add(cells.tcpOpen.open('k', labels), 1);
    await metrics.registry.metrics(); // a scrape at 0 hands both over
    clock = 900;
    add(cells.tcpOpened.get('k')!, 1); // not read by anyone before the sweep
    add(cells.tcpOpen.get('k')!, -1);
    clock = 1500;
    // Without the hand-over before the sweep the counter's series would look idle since 0 and be
    // removed, losing the first connection from the count; the gauge, back at 0, goes on its own
    // next idle period, not now.
    assert.equal(expiry.sweep(), 0);
    const text = await metrics.registry.metrics();
    assert.match(text, /outrigger_tcp_connections_opened_total\{direction="inbound",tls="mutual",protocol="http\/1.1"\} 2/);
    assert.match(text, /outrigger_tcp_open_connections\{direction="inbound",tls="mutual",protocol="http\/1.1"\} 0/);
    clock = 2600;
    assert.equal(expiry.sweep(), 2, 'both idle since 1500');
    assert.doesNotMatch(await metrics.registry.metrics(), /outrigger_tcp_connections_opened_total\{/);
  } finally {
    expiry.stop();
  }
});
