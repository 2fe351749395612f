// Transparent interception with the real kernel: two pods (network namespaces) with the init rules
// applied by `outrigger-injector init`, a sidecar in each, and a client in pod A calling pod B's
// address. Runs as root (CI does); leaves no namespace, rule or process behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, listNamespaces, run, waitFor } from '@outrigger/testing';
import { sample, startMesh, type Mesh } from './mesh-pods.ts';

describe('transparent capture between two pods', { skip: isRoot() ? false : 'needs root for network namespaces and iptables (CI runs as root)' }, () => {
  let mesh: Mesh;
  let namespaces: string[] = [];

  before(async () => {
    mesh = await startMesh({
      initArgsA: ['--exclude-outbound-ports', '9090'],
      initArgsB: ['--exclude-inbound-ports', '9090'],
      extraApps: [['198.18.0.2', 9090]],
    });
    namespaces = [mesh.a.ns, mesh.b.ns];
  });

  after(async () => {
    await mesh?.stop();
    const left = (await listNamespaces()).filter((ns) => namespaces.includes(ns));
    assert.deepEqual(left, [], 'no namespace left behind');
  });

  test('a client in pod A reaches the app in pod B, bound to 127.0.0.1 only, by the pod address', async () => {
    const r = await mesh.curlFromA(`http://${mesh.b.v4}:8080/through-the-mesh`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello from the legacy app/);
    assert.match(r.stdout, /"path":"\/through-the-mesh"/);
    // The app saw pod A's address as the client, not a v4-mapped or loopback one.
    assert.match(r.stdout, /"x-forwarded-for":"198\.18\.0\.1"/);
  });

  test('both sidecars counted it: outbound in pod A, inbound in pod B', async () => {
    const a = await mesh.metrics(mesh.a);
    const b = await mesh.metrics(mesh.b);
    assert.ok(sample(a, 'outrigger_requests_total', 'direction="outbound"', 'status_code="200"', `authority="${mesh.b.v4}:8080"`) >= 1, a);
    assert.ok(sample(b, 'outrigger_requests_total', 'direction="inbound"', 'status_code="200"') >= 1, b);
    assert.ok(sample(a, 'outrigger_tcp_connections_opened_total', 'direction="outbound"') >= 1);
    assert.ok(sample(b, 'outrigger_tcp_connections_opened_total', 'direction="inbound"') >= 1);
  });

  test("the sidecars' own upstream connections are not captured again (no loops, one hop each)", async () => {
    const a = await mesh.metrics(mesh.a);
    const b = await mesh.metrics(mesh.b);
    assert.equal(sample(a, 'outrigger_proxy_errors_total', 'error="loop_detected"'), 0);
    assert.equal(sample(b, 'outrigger_proxy_errors_total', 'error="loop_detected"'), 0);
    // Pod A's sidecar made no inbound connection and pod B's no outbound one for this traffic.
    assert.equal(sample(a, 'outrigger_tcp_connections_opened_total', 'direction="inbound"'), 0);
    assert.equal(sample(b, 'outrigger_tcp_connections_opened_total', 'direction="outbound"'), 0);
  });

  test('excluded ports bypass both sidecars', async () => {
    const beforeA = sample(await mesh.metrics(mesh.a), 'outrigger_tcp_connections_opened_total', 'direction="outbound"');
    const beforeB = sample(await mesh.metrics(mesh.b), 'outrigger_tcp_connections_opened_total', 'direction="inbound"');
    const r = await mesh.curlFromA(`http://${mesh.b.v4}:9090/excluded`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"path":"\/excluded"/);
    assert.match(r.stdout, /"x-request-id":null/, 'no sidecar added a request id');
    assert.equal(sample(await mesh.metrics(mesh.a), 'outrigger_tcp_connections_opened_total', 'direction="outbound"'), beforeA);
    assert.equal(sample(await mesh.metrics(mesh.b), 'outrigger_tcp_connections_opened_total', 'direction="inbound"'), beforeB);
  });

  test('IPv6 works the same: pod B by its IPv6 address reaches the app on [::1]:8080', async () => {
    const r = await mesh.curlFromA(`http://[${mesh.b.v6}]:8080/over-ipv6`, '-g');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"path":"\/over-ipv6"/);
    assert.match(r.stdout, /"x-forwarded-for":"2001:2::1"/);
    const b = await mesh.metrics(mesh.b);
    assert.ok(sample(b, 'outrigger_requests_total', 'direction="inbound"', 'status_code="200"') >= 2);
  });

  test('a connection straight to the inbound port is a loop: closed, counted and logged', async () => {
    const r = await run('ip', ['netns', 'exec', mesh.b.ns, 'curl', '-sS', '--max-time', '5', 'http://127.0.0.1:15006/loop']);
    assert.notEqual(r.code, 0);
    const b = await mesh.metrics(mesh.b);
    assert.equal(sample(b, 'outrigger_proxy_errors_total', 'direction="inbound"', 'error="loop_detected"'), 1);
    // Access-log lines are written in batches, at the latest 250 ms later.
    const line = await waitFor(() => mesh.proxies.b.stdout().split('\n').find((l) => l.includes('"error":"loop_detected"')), 'an access-log line for the loop');
    assert.match(line, /"response_flags":"LOOP"/);
  });

  test('the admin server serves /metrics to other pods but its loopback-only paths refuse them', async () => {
    const metrics = await mesh.curlFromA(`http://${mesh.b.v4}:15020/metrics`);
    assert.match(metrics.stdout, /outrigger_requests_total/);
    const tap = await mesh.curlFromA(`http://${mesh.b.v4}:15020/tap`, '-D', '-');
    assert.match(tap.stdout, /^HTTP\/1\.1 403/);
    const shutdown = await mesh.curlFromA(`http://${mesh.b.v4}:15020/shutdown`, '-X', 'POST', '-D', '-');
    assert.match(shutdown.stdout, /^HTTP\/1\.1 403/);
    assert.equal((await mesh.metrics(mesh.b)).length > 0, true, 'pod B\'s sidecar is still running');
  });
});
