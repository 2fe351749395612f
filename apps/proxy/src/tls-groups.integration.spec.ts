// tls.groups: the key exchange groups of every handshake. A TLS client that offers node 24's
// default (the post-quantum hybrid X25519MLKEM768 first) gets classic X25519 from the default
// config, and the hybrid when the config asks for it; what the proxy's own client offers follows too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { connect as connectTls, createServer as createTlsServer } from 'node:tls';
import { join, resolve } from 'node:path';
import { freePort, run, start, withTempDir, writeCertFixture, type CertFixture } from '@outrigger/testing';

const MAIN = resolve(import.meta.dirname, 'main.ts');

async function withProxy(dir: string, f: CertFixture, tlsSection: string, upstreamPort: number, fn: (ports: { mutual: number; meshOut: number }) => Promise<void>): Promise<void> {
  const [mutual, meshOut] = [await freePort(), await freePort()];
  const file = join(dir, `proxy-${mutual}.yaml`);
  writeFileSync(file, `admin: { address: 127.0.0.1, port: 0 }
identity: { certFile: ${f.server.cert}, keyFile: ${f.server.key}, trustBundleFile: ${f.caCert} }
listeners:
  - { name: in, address: 127.0.0.1, port: ${mutual}, tls: mutual, protocol: tcp, upstream: "127.0.0.1:${upstreamPort}" }
  - { name: out, address: 127.0.0.1, port: ${meshOut}, tls: none, protocol: tcp, upstream: "127.0.0.1:${upstreamPort}", upstreamTls: mesh }
accessLog: { stdout: false }
${tlsSection}`);
  const proc = start(process.execPath, [MAIN, '--config', file]);
  try {
    await proc.waitForLine(/"msg":"ready"/);
    await fn({ mutual, meshOut });
  } finally {
    await proc.stop();
  }
}

/** The group a node TLS client with node's default offer ends up with, against the proxy's TLS listener. */
function negotiated(port: number, f: CertFixture): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, cert: readFileSync(f.client.cert), key: readFileSync(f.client.key), ca: readFileSync(f.caCert), checkServerIdentity: () => undefined }, () => {
      resolvePromise(String((socket.getEphemeralKeyInfo() as { name?: string } | null)?.name));
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

test('tls.groups: classic X25519 by default, the post-quantum hybrid when configured, on both sides of the proxy', async () => {
  await withTempDir(async (dir) => {
    const f = writeCertFixture(dir);
    // A peer that speaks only the hybrid: the proxy's own client (upstreamTls: mesh) reaches it
    // only when the hybrid is configured. It answers "hybrid" and closes.
    const hybridOnly = createTlsServer({ cert: readFileSync(f.server.cert), key: readFileSync(f.server.key), ecdhCurve: 'X25519MLKEM768' }, (s) => s.end('hybrid'));
    hybridOnly.on('tlsClientError', () => {});
    await new Promise<void>((r) => hybridOnly.listen(0, '127.0.0.1', r));
    const read = (port: number) =>
      new Promise<string>((resolvePromise) => {
        let got = '';
        const s = connect(port, '127.0.0.1');
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('close', () => resolvePromise(got));
        s.on('error', () => {});
      });
    try {
      await withProxy(dir, f, '', (hybridOnly.address() as AddressInfo).port, async ({ mutual, meshOut }) => {
        assert.equal(await negotiated(mutual, f), 'X25519');
        assert.equal(await read(meshOut), '', 'no shared group with a hybrid-only peer: the connection closes unanswered');
      });
      await withProxy(dir, f, 'tls: { groups: [X25519MLKEM768, X25519] }\n', (hybridOnly.address() as AddressInfo).port, async ({ mutual, meshOut }) => {
        assert.equal(await negotiated(mutual, f), 'X25519MLKEM768');
        assert.equal(await read(meshOut), 'hybrid');
      });
    } finally {
      hybridOnly.close();
    }
  });
});

test('a group this OpenSSL does not know is a config error, named at --check and at start', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'bad-groups.yaml');
    writeFileSync(file, 'listeners:\n  - { name: a, port: 0, tls: none, upstream: "127.0.0.1:1" }\ntls: { groups: [X25519, Kyber9000] }\n');
    for (const args of [['--check'], []]) {
      const r = await run(process.execPath, [MAIN, '--config', file, ...args]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /tls\.groups: this OpenSSL \(\d+\.\d+\.\d+\) does not know Kyber9000\n/);
    }
  });
});
