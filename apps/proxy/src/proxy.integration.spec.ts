// The real outrigger-proxy process in explicit mode, called by real clients (curl, openssl
// s_client) on loopback, in front of a real HTTP app and a TCP echo server; promtool checks /metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, run, start, waitFor, writeCertFixture, type CertFixture, type Started } from '@outrigger/testing';

const MAIN = resolve(import.meta.dirname, 'main.ts');

describe('outrigger-proxy explicit mode', () => {
  let dir: string;
  let certs: CertFixture;
  let proxy: Started;
  const ports: Record<string, number> = {};
  let adminPort = 0;
  const appSaw: IncomingHttpHeaders[] = [];
  const app = createHttpServer((req, res) => {
    appSaw.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`legacy says hi to ${req.url}\n`);
  });
  // Answers one chunk with the same bytes and closes, as a simple request/response TCP protocol does.
  const echo = createTcpServer((s) => s.on('error', () => {}).once('data', (chunk) => s.end(chunk)));
  let deadPort = 0;
  const accessLog = () => readFileSync(join(dir, 'access.log'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outrigger-proxy-it-'));
    certs = writeCertFixture(join(dir, 'certs'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    deadPort = await freePort(); // a port with nobody listening (below the ephemeral range: no other test's listen(0) gets it)
    const appPort = (app.address() as AddressInfo).port;
    const echoPort = (echo.address() as AddressInfo).port;
    // The to-mesh listener originates mesh mTLS to this proxy's own mtls listener, which must be on
    // a port known before start.
    const MESH_PORT = await freePort();
    writeFileSync(
      join(dir, 'proxy.yaml'),
      `admin: { address: 127.0.0.1, port: 0 }
identity: { certFile: certs/server.crt, keyFile: certs/server.key, trustBundleFile: certs/ca.crt }
listeners:
  - { name: mtls, address: 127.0.0.1, port: ${MESH_PORT}, tls: mutual, upstream: "127.0.0.1:${appPort}" }
  - { name: edge, address: 127.0.0.1, port: 0, tls: server, upstream: "127.0.0.1:${appPort}" }
  - { name: echo, address: 127.0.0.1, port: 0, tls: mutual, upstream: "127.0.0.1:${echoPort}", protocol: tcp }
  - { name: detect-echo, address: 127.0.0.1, port: 0, tls: none, upstream: "127.0.0.1:${echoPort}" }
  - { name: dead, address: 127.0.0.1, port: 0, tls: mutual, upstream: "127.0.0.1:${deadPort}" }
  - { name: to-mesh, address: 127.0.0.1, port: 0, tls: none, upstream: "127.0.0.1:${MESH_PORT}", upstreamTls: mesh }
accessLog: { stdout: false, file: access.log }
timeouts: { detect: 300ms }
`,
    );
    proxy = start(process.execPath, [MAIN, '--config', join(dir, 'proxy.yaml')]);
    const ready = JSON.parse(await proxy.waitForLine(/"msg":"ready"/)) as { listeners: Array<{ name: string; port: number }>; admin: { port: number } };
    for (const l of ready.listeners) ports[l.name] = l.port;
    adminPort = ready.admin.port;
  });

  after(async () => {
    await proxy?.stop();
    app.close();
    echo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const curl = (args: string[]) => run('curl', ['-sS', '--max-time', '10', ...args]);
  const mtlsUrl = (path = '/') => `https://localhost:${ports.mtls}${path}`;
  const withClient = () => ['--cacert', certs.caCert, '--cert', certs.client.cert, '--key', certs.client.key];

  test('curl with the mesh client certificate gets the app body over mutual TLS', async () => {
    const r = await curl([...withClient(), '-D', '-', mtlsUrl('/hello?x=1')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 200/);
    assert.match(r.stdout, /legacy says hi to \/hello\?x=1/);
    const headers = appSaw.at(-1);
    assert.equal(headers?.['x-forwarded-proto'], 'https');
    assert.match(String(headers?.['x-forwarded-for']), /127\.0\.0\.1/);
    assert.match(String(headers?.['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('an x-request-id the client sent is kept', async () => {
    const r = await curl([...withClient(), '-H', 'x-request-id: abc-123', mtlsUrl('/rid')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(appSaw.at(-1)?.['x-request-id'], 'abc-123');
  });

  test('curl without a client certificate is refused in the TLS handshake', async () => {
    const before = appSaw.length;
    const r = await curl(['--cacert', certs.caCert, mtlsUrl('/no-cert')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /alert|certificate|handshake/i);
    assert.equal(appSaw.length, before, 'the app must not see the request');
  });

  test('curl with a certificate from another CA is refused in the TLS handshake', async () => {
    const before = appSaw.length;
    const r = await curl(['--cacert', certs.caCert, '--cert', certs.otherClient.cert, '--key', certs.otherClient.key, mtlsUrl('/other-ca')]);
    // node verifies the client chain right after the handshake and closes before reading any
    // request byte; with TLS 1.3 the client sees an empty reply rather than an alert.
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Empty reply|alert|certificate|reset/i);
    assert.equal(appSaw.length, before, 'the app must not see the request');
  });

  test('the server-TLS listener serves clients without a certificate', async () => {
    const r = await curl(['--cacert', certs.caCert, `https://localhost:${ports.edge}/edge`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /legacy says hi to \/edge/);
  });

  test('openssl s_client: the proxy presents its SPIFFE ID and answers HTTP over the mTLS session', async () => {
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${ports.mtls}`, '-CAfile', certs.caCert, '-cert', certs.client.cert, '-key', certs.client.key, '-verify_return_error', '-showcerts', '-ign_eof'], {
      input: 'GET /from-openssl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      timeoutMs: 15_000,
    });
    assert.match(r.stdout, /Verify return code: 0 \(ok\)/);
    assert.match(r.stdout, /legacy says hi to \/from-openssl/);
    const peer = await run('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], { input: r.stdout.slice(r.stdout.indexOf('-----BEGIN CERTIFICATE-----')) });
    assert.match(peer.stdout, new RegExp(certs.server.id.replace(/[/.]/g, '\\$&')));
  });

  test('openssl s_client without a client certificate gets a TLS alert', async () => {
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${ports.mtls}`, '-CAfile', certs.caCert, '-ign_eof'], { input: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', timeoutMs: 15_000 });
    assert.match(r.stdout + r.stderr, /alert (certificate required|handshake failure)/i);
    assert.doesNotMatch(r.stdout, /legacy says hi/);
  });

  test('opaque TCP through mutual TLS is piped both ways (openssl s_client to an echo server)', async () => {
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${ports.echo}`, '-CAfile', certs.caCert, '-cert', certs.client.cert, '-key', certs.client.key, '-quiet'], { input: 'ping over tls\n', timeoutMs: 15_000 });
    assert.match(r.stdout, /ping over tls/);
  });

  test('a plaintext listener detects a non-HTTP client and pipes it as TCP', async () => {
    const r = await run('curl', ['-sS', '--max-time', '5', '-T', '-', `telnet://127.0.0.1:${ports['detect-echo']}`], { input: '\x00\x01binary hello\n', timeoutMs: 10_000 });
    assert.match(r.stdout, /binary hello/);
  });

  test('upstream down: HTTP 502 with x-outrigger-error: upstream_connect_refused', async () => {
    const r = await curl([...withClient(), '-D', '-', `https://localhost:${ports.dead}/down`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 502/);
    assert.match(r.stdout, /x-outrigger-error: upstream_connect_refused/i);
  });

  test('every request left one access-log line with the documented fields', async () => {
    const lines = await waitFor(() => {
      const all = accessLog();
      return all.some((l) => l.path === '/down') && all.some((l) => l.protocol === 'tcp' && l.peer_identity) ? all : undefined;
    }, 'access log lines');
    const fields = ['time', 'direction', 'protocol', 'method', 'path', 'authority', 'response_code', 'response_flags', 'error', 'bytes_received', 'bytes_sent', 'duration_ms', 'upstream_service_time_ms', 'upstream_host', 'downstream_remote_address', 'downstream_local_address', 'peer_identity', 'tls', 'request_id', 'user_agent', 'x_forwarded_for'];
    for (const line of lines) assert.deepEqual(Object.keys(line), fields);
    const hello = lines.find((l) => l.path === '/hello?x=1');
    assert.ok(hello, 'a line for /hello');
    assert.equal(hello.method, 'GET');
    assert.equal(hello.response_code, 200);
    assert.equal(hello.tls, 'mutual');
    assert.equal(hello.peer_identity, certs.client.id);
    assert.equal(hello.direction, 'inbound');
    assert.ok((hello.bytes_sent as number) > 0);
    const down = lines.find((l) => l.path === '/down');
    assert.equal(down?.response_code, 502);
    assert.equal(down?.error, 'upstream_connect_refused');
    assert.equal(down?.response_flags, 'UF');
    const refused = lines.filter((l) => ['tls_handshake_failed', 'client_cert_required', 'client_cert_rejected'].includes(String(l.error)));
    assert.ok(refused.length >= 2, 'refused handshakes are logged as connections');
    const tcp = lines.find((l) => l.protocol === 'tcp' && l.peer_identity === certs.client.id);
    assert.ok(tcp && (tcp.bytes_received as number) > 0 && (tcp.bytes_sent as number) > 0);
  });

  test('/metrics counts the requests and passes promtool check metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const ok = text.split('\n').find((l) => l.startsWith('outrigger_requests_total{') && l.includes('status_code="200"') && l.includes(certs.client.id));
    assert.ok(ok, 'a requests_total series for the client identity');
    assert.ok(Number(ok.split(' ').at(-1)) >= 3);
    assert.match(text, /outrigger_tls_handshake_errors_total\{direction="inbound",reason="[a-z_]+"\} [1-9]/);
    assert.match(text, /outrigger_requests_total\{[^}]*status_code="502"[^}]*\} 1/);
    const own = text.split('\n').filter((l) => /^(# (HELP|TYPE) )?outrigger_/.test(l) && !/^(# (HELP|TYPE) )?outrigger_process_|^(# (HELP|TYPE) )?outrigger_nodejs_/.test(l)).join('\n') + '\n';
    const promtool = await run('promtool', ['check', 'metrics'], { input: own });
    assert.equal(promtool.code, 0, promtool.stdout + promtool.stderr);
  });

  test('a plaintext listener with upstreamTls: mesh originates mesh mTLS (explicit sidecar pair)', async () => {
    const r = await curl([`http://127.0.0.1:${ports['to-mesh']}/paired`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /legacy says hi to \/paired/);
    const lines = await waitFor(() => {
      const all = accessLog().filter((l) => l.path === '/paired');
      return all.length === 2 ? all : undefined;
    }, 'both hops logged');
    const inbound = lines.find((l) => l.tls === 'mutual' && l.upstream_host !== `127.0.0.1:${ports.mtls}`);
    assert.equal(inbound?.peer_identity, certs.server.id, 'the mesh hop presented the workload identity');
  });

  test('/ready and /live answer 200', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${adminPort}/ready`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${adminPort}/live`)).status, 200);
  });
});

describe('outrigger-proxy refuses bad config at start', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a misspelt key', 'listeners:\n  - { name: web, port: 0, tsl: none, upstream: "127.0.0.1:1" }\n', /listeners\[0\]\.tsl: unknown key \(did you mean "tls"\?\)/],
    ['a missing cert file', 'identity: { certFile: nope.crt, keyFile: nope.key, trustBundleFile: nope-ca.crt }\nlisteners:\n  - { name: web, port: 0, upstream: "127.0.0.1:1" }\n', /identity\.certFile: cannot read .*nope\.crt \(ENOENT\)/],
    ['a bad upstream', 'listeners:\n  - { name: web, port: 0, tls: none, upstream: "localhost" }\n', /listeners\[0\]\.upstream: "localhost" is not host:port/],
    ['YAML syntax', 'listeners: [\n', /YAML syntax/],
  ];
  for (const [name, yaml, message] of cases) {
    test(`exit 1 and a message naming it: ${name}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'outrigger-badcfg-'));
      try {
        writeFileSync(join(dir, 'proxy.yaml'), yaml);
        const r = await run(process.execPath, [MAIN, '--config', join(dir, 'proxy.yaml')], { timeoutMs: 15_000 });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, message);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  test('an unknown flag exits 2 and names it', async () => {
    const r = await run(process.execPath, [MAIN, '--confg', 'x.yaml'], { timeoutMs: 15_000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--confg/);
  });
});
