// Mesh mTLS between two pods with the real kernel: sidecar A originates mTLS to pod B's inbound
// sidecar; real clients (curl, openssl s_client) that bypass sidecar A (UID 1337) show what strict,
// permissive and the allow-list do with plaintext, foreign, expired and unlisted certificates.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, waitFor } from '@outrigger/testing';
import { sample, startMesh, type Mesh } from './mesh-pods.ts';

describe('mesh mTLS between two pods', { skip: isRoot() ? false : 'needs root for network namespaces and iptables (CI runs as root)' }, () => {
  let mesh: Mesh;

  before(async () => {
    mesh = await startMesh({
      // Pod B: 8080 strict (mesh mTLS only), 8081 permissive (default), 8082 only for ns other,
      // 6379 (an opaque port) only for ns other: denied TCP is closed.
      mtls: { inboundB: 'ports: { "8080": { mode: strict }, "8082": { allow: ["ns/other/*"] }, "6379": { allow: ["ns/other/*"] } }' },
      extraApps: [['127.0.0.1', 8081], ['127.0.0.1', 8082]],
    });
  });

  after(async () => {
    await mesh?.stop();
  });

  const certs = () => {
    assert.ok(mesh.certs);
    return mesh.certs;
  };

  test('pod A to pod B is mutual TLS between the sidecars; the app still gets plain HTTP on localhost', async () => {
    const r = await mesh.curlFromA(`http://${mesh.b.v4}:8080/meshed`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello from the legacy app/);
    assert.match(r.stdout, /"x-forwarded-proto":"http"/, 'the client spoke http; the mesh hop is not the app\'s business');
    const b = await mesh.metrics(mesh.b);
    assert.ok(sample(b, 'outrigger_requests_total', 'direction="inbound"', 'tls="mutual"', `peer_identity="${certs().a.id}"`, 'status_code="200"') >= 1, b);
    const a = await mesh.metrics(mesh.a);
    assert.ok(sample(a, 'outrigger_requests_total', 'direction="outbound"', 'tls="mutual"') >= 1, a);
    const line = await waitFor(() => mesh.proxies.b.stdout().split('\n').find((l) => l.includes('"path":"/meshed"')), 'access-log line');
    const record = JSON.parse(line) as Record<string, unknown>;
    assert.equal(record.peer_identity, certs().a.id);
    assert.equal(record.tls, 'mutual');
    // A's outbound line names the peer that answered: the identity of the pooled connection used.
    const outbound = await waitFor(() => mesh.proxies.a.stdout().split('\n').find((l) => l.includes('"path":"/meshed"') && l.includes('"direction":"outbound"')), 'outbound access-log line');
    assert.equal((JSON.parse(outbound) as Record<string, unknown>).peer_identity, certs().b.id);
  });

  test('a meshed client reaches a peer\'s admin port (a meshed Prometheus scraping it) in plaintext, as the peer serves it', async () => {
    const r = await mesh.curlFromA(`http://${mesh.b.v4}:15020/ready`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ready');
    const metrics = await mesh.curlFromA(`http://${mesh.b.v4}:15020/metrics`);
    assert.match(metrics.stdout, /^outrigger_build_info\{/m);
    // Through sidecar A all the same: logged and counted there, without mTLS.
    const line = await waitFor(() => mesh.proxies.a.stdout().split('\n').find((l) => l.includes('"path":"/ready"') && l.includes('"direction":"outbound"')), 'outbound line of the scrape');
    assert.equal((JSON.parse(line) as Record<string, unknown>).tls, 'none');
  });

  test('IPv6 is meshed the same way', async () => {
    const r = await mesh.curlFromA(`http://[${mesh.b.v6}]:8080/meshed-v6`, '-g');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"path":"\/meshed-v6"/);
  });

  test('strict: a plaintext client without a mesh certificate is refused and counted', async () => {
    const r = await mesh.bypassFromA('curl', ['-sS', '--max-time', '5', `http://${mesh.b.v4}:8080/plain`]);
    assert.notEqual(r.code, 0, r.stdout);
    const b = await mesh.metrics(mesh.b);
    assert.ok(sample(b, 'outrigger_authz_denied_total', 'port="8080"', 'reason="plaintext"') >= 1, b);
  });

  test('permissive: the same plaintext client is allowed on a permissive port', async () => {
    const r = await mesh.bypassFromA('curl', ['-sS', '--max-time', '5', `http://${mesh.b.v4}:8081/plain`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"path":"\/plain"/);
  });

  const sClient = (cert: { cert: string; key: string }, port = 8080) =>
    mesh.bypassFromA(
      'openssl',
      ['s_client', '-connect', `${mesh.b.v4}:${port}`, '-alpn', 'outrigger', '-CAfile', certs().caCert, '-cert', cert.cert, '-key', cert.key, '-ign_eof'],
      'GET /via-openssl HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n',
    );

  test('openssl s_client with the mesh certificate and ALPN gets through strict mTLS', async () => {
    const r = await sClient(certs().a);
    assert.match(r.stdout, /Verify return code: 0 \(ok\)/);
    assert.match(r.stdout, /"path":"\/via-openssl"/);
  });

  for (const [name, pick, reason] of [
    ['another CA', () => certs().otherCa, 'unknown_ca'],
    ['another trust domain', () => certs().otherDomain, 'wrong_trust_domain'],
    ['an expired certificate', () => certs().expired, 'cert_has_expired'],
  ] as const) {
    test(`a client certificate from ${name} is refused (${reason})`, async () => {
      const before = sample(await mesh.metrics(mesh.b), 'outrigger_tls_handshake_errors_total', `reason="${reason}"`);
      const r = await sClient(pick());
      assert.doesNotMatch(r.stdout, /hello from the legacy app/);
      const after = await waitFor(async () => {
        const n = sample(await mesh.metrics(mesh.b), 'outrigger_tls_handshake_errors_total', `reason="${reason}"`);
        return n > before ? n : undefined;
      }, `a handshake error with reason ${reason}`).catch(async (err: Error) => {
        const text = await mesh.metrics(mesh.b);
        throw new Error(`${err.message}; have: ${text.split('\n').filter((l) => l.includes('handshake_errors')).join(' | ')}; log: ${mesh.proxies.b.stdout().split('\n').slice(-3).join('\n')}`);
      });
      assert.equal(after, before + 1);
    });
  }

  test('an identity outside the allow-list gets 403 with x-outrigger-error over HTTP', async () => {
    const r = await mesh.curlFromA(`http://${mesh.b.v4}:8082/forbidden`, '-D', '-');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 403/);
    assert.match(r.stdout, /x-outrigger-error: authz_denied/i);
    const b = await mesh.metrics(mesh.b);
    assert.ok(sample(b, 'outrigger_authz_denied_total', 'port="8082"', 'reason="not_allowed"') >= 1, b);
  });

  test('an identity outside the allow-list of an opaque TCP port is closed', async () => {
    const r = await mesh.curlFromA(`telnet://${mesh.b.v4}:6379`, '-T', '-');
    assert.equal(r.stdout, '');
    const b = await waitFor(async () => {
      const text = await mesh.metrics(mesh.b);
      return sample(text, 'outrigger_authz_denied_total', 'port="6379"') >= 1 ? text : undefined;
    }, 'the denial counted');
    assert.ok(b);
  });

  test('a live reload makes a permissive port strict without restarting the sidecar', async () => {
    const pid = mesh.proxies.b.child.pid;
    mesh.reconfigureB('ports: { "8080": { mode: strict }, "8081": { mode: strict }, "8082": { allow: ["ns/other/*"] }, "6379": { allow: ["ns/other/*"] } }');
    await mesh.proxies.b.waitForLine(/"msg":"config reloaded"/, 15_000);
    const plain = await mesh.bypassFromA('curl', ['-sS', '--max-time', '5', `http://${mesh.b.v4}:8081/plain-again`]);
    assert.notEqual(plain.code, 0, 'plaintext is refused on 8081 now');
    const meshed = await mesh.curlFromA(`http://${mesh.b.v4}:8081/meshed-after-reload`);
    assert.equal(meshed.code, 0, meshed.stderr);
    assert.equal(mesh.proxies.b.child.pid, pid);
    assert.equal(mesh.proxies.b.child.exitCode, null, 'the same sidecar process, still running');
  });
});
