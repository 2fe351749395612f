import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Registry } from 'prom-client';
import { startSeriesExpiry } from './series-expiry.ts';

test('idle series are removed, fresh ones and non-zero gauges stay', async () => {
  let clock = 0;
  const registry = new Registry();
  const counter = new Counter({ name: 't_requests_total', help: 'h', labelNames: ['peer'], registers: [registry] });
  const gauge = new Gauge({ name: 't_open', help: 'h', labelNames: ['peer'], registers: [registry] });
  const expiry = startSeriesExpiry({ idleMs: 1000, intervalMs: 1_000_000, now: () => clock });
  try {
    for (const peer of ['a', 'b']) {
      counter.inc({ peer });
      expiry.touch(counter, { peer });
    }
    gauge.inc({ peer: 'a' });
    expiry.touch(gauge, { peer: 'a' }, +1);
    gauge.inc({ peer: 'b' });
    expiry.touch(gauge, { peer: 'b' }, +1);
    gauge.dec({ peer: 'b' });
    expiry.touch(gauge, { peer: 'b' }, -1);
    clock = 900;
    counter.inc({ peer: 'b' });
    expiry.touch(counter, { peer: 'b' });
    clock = 1500;
    assert.equal(expiry.sweep(), 2, 'counter a and the zero gauge b');
    const text = await registry.metrics();
    assert.doesNotMatch(text, /t_requests_total\{peer="a"\}/);
    assert.match(text, /t_requests_total\{peer="b"\} 2/);
    assert.match(text, /t_open\{peer="a"\} 1/, 'an open connection is not idle');
    assert.doesNotMatch(text, /t_open\{peer="b"\}/);
    assert.equal(expiry.size, 2);
  } finally {
    expiry.stop();
  }
});

test('one series whatever the order its labels are written in; other values stay other series', () => {
  let clock = 0;
  const registry = new Registry();
  const gauge = new Gauge({ name: 't_open2', help: 'h', labelNames: ['direction', 'tls'], registers: [registry] });
  const expiry = startSeriesExpiry({ idleMs: 1000, intervalMs: 1_000_000, now: () => clock });
  try {
    expiry.touch(gauge, { direction: 'inbound', tls: 'mutual' }, +1);
    expiry.touch(gauge, { tls: 'mutual', direction: 'inbound' }, -1);
    expiry.touch(gauge, { direction: 'outbound', tls: 'mutual' }, +1);
    assert.equal(expiry.size, 2);
    clock = 1500;
    // The first series' +1 and -1 met in one entry: back at zero, it is idle and goes.
    assert.equal(expiry.sweep(), 1);
    assert.equal(expiry.size, 1);
  } finally {
    expiry.stop();
  }
});
