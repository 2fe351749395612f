// The metric catalogue as Prometheus sees it: names, types and label names read back from the
// exposition text, and `promtool check metrics` on it (DESIGN section 5: it must pass).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { register as globalRegistry } from 'prom-client';
import { withTempDir } from '@outrigger/testing';
import { createMetrics, createProcessRegistry, renderMetrics, REQUEST_DURATION_BUCKETS, type Metrics } from './metrics.ts';
import { CATALOGUE } from './testdata/metric-catalogue.ts';

/** One sample in every series family, as the proxy's observer would record them. */
function recordSamples(m: Metrics): void {
  const mtls = { direction: 'inbound', tls: 'mutual' } as const;
  m.requests.inc({ ...mtls, status_code: '200', classification: 'success', peer_identity: 'spiffe://cluster.local/ns/shop/sa/web', authority: '' });
  m.requests.inc({ direction: 'outbound', tls: 'mutual', status_code: '502', classification: 'failure', peer_identity: '', authority: 'orders.shop.svc.cluster.local:8080' });
  m.requestDuration.observe({ ...mtls, classification: 'success' }, 0.0031);
  m.tcpOpened.inc({ ...mtls, protocol: 'http/1.1' });
  m.tcpClosed.inc({ ...mtls, protocol: 'http/1.1' });
  m.tcpOpen.set({ ...mtls, protocol: 'tcp' }, 3);
  m.tcpReceivedBytes.inc(mtls, 512);
  m.tcpSentBytes.inc(mtls, 2048);
  m.tlsHandshakeErrors.inc({ direction: 'inbound', reason: 'client_cert_rejected' });
  m.authzDenied.inc({ port: '8080', reason: 'not_allowed' });
  m.detectTimeouts.inc({ direction: 'inbound', port: '9000' });
  m.proxyErrors.inc({ direction: 'outbound', error: 'upstream_connect_refused' });
  m.certExpiration.set(1_767_225_600);
  m.configReloads.inc({ component: 'mesh', result: 'success' });
  m.appScrapeErrors.inc({ reason: 'timeout' });
}

interface Family { type: string; help: string; labels: Set<string> }

/** Families of a text exposition: TYPE and HELP lines, and the label names their samples carry. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { type: '', help: '', labels: new Set() }));
    return f;
  };
  for (const line of text.split('\n')) {
    const meta = /^# (TYPE|HELP) (\S+) (.*)$/.exec(line);
    if (meta) {
      family(meta[2] ?? '')[meta[1] === 'TYPE' ? 'type' : 'help'] = meta[3] ?? '';
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*?)(_bucket|_sum|_count)?(?:\{(.*)\})? \S+$/.exec(line);
    if (!sample) continue;
    const base = families.has(sample[1] + (sample[2] ?? '')) ? sample[1] + (sample[2] ?? '') : (sample[1] ?? '');
    for (const [, label] of (sample[3] ?? '').matchAll(/(\w+)="/g)) if (label !== 'le') family(base).labels.add(label ?? '');
  }
  return families;
}

function promtool(text: string, dir: string): { status: number | null; output: string } {
  const file = join(dir, 'metrics.txt');
  writeFileSync(file, text);
  const fd = openSync(file, 'r');
  try {
    const r = spawnSync('promtool', ['check', 'metrics'], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
  } finally {
    closeSync(fd);
  }
}

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

test('the catalogue: every metric with its name, type and label names, and a help text', async () => {
  const m = createMetrics({ version: '1.2.3' });
  recordSamples(m);
  const families = parseExposition(await m.registry.metrics());
  assert.deepEqual([...families.keys()].sort(), CATALOGUE.map(([, name]) => name).sort());
  for (const [field, name, type, labels] of CATALOGUE) {
    assert.equal((await m[field].get()).name, name, field);
    const f = families.get(name);
    assert.ok(f, name);
    assert.equal(f.type, type, name);
    assert.deepEqual([...f.labels].sort(), [...labels].sort(), name);
    assert.ok(f.help.length > 20, `${name} needs a helpful help text`);
  }
});

test('request durations use the sidecar buckets, in seconds', async () => {
  const m = createMetrics();
  recordSamples(m);
  const les = [...(await m.registry.metrics()).matchAll(/outrigger_request_duration_seconds_bucket\{le="([^"]+)"/g)].map((x) => x[1]);
  assert.deepEqual(les, [...REQUEST_DURATION_BUCKETS.map(String), '+Inf']);
});

test('build_info is 1 with the version and the Node.js version', async () => {
  const { values } = await createMetrics({ version: '1.2.3' }).buildInfo.get();
  assert.deepEqual(values, [{ value: 1, labels: { version: '1.2.3', node_version: process.version } }]);
});

test('each createMetrics has its own registry and leaves the global one alone', async () => {
  const a = createMetrics();
  const b = createMetrics();
  a.tcpOpen.inc({ direction: 'inbound', tls: 'none', protocol: 'tcp' });
  assert.deepEqual((await b.tcpOpen.get()).values, []);
  assert.equal(globalRegistry.getMetricsAsArray().length, 0);
});

test('promtool check metrics passes on the catalogue with samples', { skip: !hasPromtool && 'promtool not installed' }, async () => {
  const m = createMetrics({ version: '1.2.3' });
  recordSamples(m);
  await withTempDir(async (dir) => {
    const r = promtool(await m.registry.metrics(), dir);
    assert.equal(r.output, '', `promtool reported:\n${r.output}`);
    assert.equal(r.status, 0);
  });
});

test('renderMetrics joins the catalogue and the process registry', async (t) => {
  const m = createMetrics({ version: '1.2.3' });
  recordSamples(m);
  const { contentType, body } = await renderMetrics([m.registry, createProcessRegistry()]);
  assert.equal(contentType, 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(body, /^outrigger_requests_total\{/m);
  assert.match(body, /^outrigger_process_cpu_seconds_total /m);
  assert.match(body, /^outrigger_nodejs_heap_size_used_bytes /m);
  await assert.rejects(renderMetrics([m.registry, createMetrics().registry]), /already been registered/);
  assert.equal((await renderMetrics([])).body.trim(), '');
  if (!hasPromtool) return;
  // Reported, not asserted: prom-client's default Node.js metrics are outside our control.
  await withTempDir(async (dir) => {
    const r = promtool(body, dir);
    t.diagnostic(`promtool on catalogue + process registry: exit ${r.status}${r.output ? `\n${r.output}` : ''}`);
  });
});
