// Mesh mTLS resumption against the proxy's own TLS terminator over loopback: a second connection
// to the same peer resumes the first one's session (no certificate signatures), keeps the peer's
// identity on both sides, and never resumes across an identity rotation or a changed peer check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { MeshConfig } from '@outrigger/config';
import { withTempDir, writeCertFixture } from '@outrigger/testing';
import { buildIdentity, type LoadedIdentity } from './identity.ts';
import { createMeshDialer, type MeshDialer } from './mesh-dialer.ts';
import { newConnectionRecord } from './record.ts';
import { createTlsTerminator } from './stages/terminate-tls.ts';

interface Outcome {
  resumed: boolean;
  /** The client's identity as the server's record has it. */
  serverSawPeer: string | null;
}

/** `dial(dialer, n)` connects to peer n of three (each its own port, so its own session). */
async function withPeer(fn: (dial: (dialer: MeshDialer, peer?: number) => Promise<Outcome>, ids: { client: () => LoadedIdentity; rotate: () => void; serverId: string }) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const f = writeCertFixture(dir);
    const ca = readFileSync(f.caCert, 'utf8');
    const server = buildIdentity(readFileSync(f.server.cert, 'utf8'), readFileSync(f.server.key, 'utf8'), ca);
    const load = () => buildIdentity(readFileSync(f.client.cert, 'utf8'), readFileSync(f.client.key, 'utf8'), ca);
    let client = load();
    const terminator = createTlsTerminator({ mode: 'mutual', contextOptions: server.contextOptions, handshakeTimeoutMs: 5000, alpnHttp1: false, trustDomain: 'cluster.local' });
    const seen: Array<string | null> = [];
    const listeners = [0, 1, 2].map(() => createServer((raw) => {
      const record = newConnectionRecord({ direction: 'inbound', listener: 'test', port: 0, now: 0 });
      terminator.terminate(raw, record).then(
        (tls) => {
          seen.push(record.peerIdentity);
          tls.end(tls.isSessionReused() ? 'resumed' : 'full');
        },
        () => seen.push(null),
      );
    }));
    for (const l of listeners) await new Promise<void>((resolve) => l.listen(0, '127.0.0.1', resolve));
    const dial = (dialer: MeshDialer, peer = 0) =>
      new Promise<Outcome>((resolve, reject) => {
        const { port } = listeners[peer]!.address() as AddressInfo;
        const options = dialer.tlsOptions('127.0.0.1', port);
        const socket = connectTls({ host: '127.0.0.1', port, ...options });
        options.keepSessions(socket);
        let answer = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => (answer += d));
        socket.on('error', reject);
        // 'end' comes after the session tickets (sent with the server's first data in TLS 1.3).
        socket.on('end', () => resolve({ resumed: answer === 'resumed', serverSawPeer: seen.at(-1) ?? null }));
      });
    try {
      await fn(dial, { client: () => client, rotate: () => (client = load()), serverId: f.server.id });
    } finally {
      for (const l of listeners) l.close();
    }
  });
}

const mesh = (peerIdentities: MeshConfig['peerIdentities'] = {}): MeshConfig => ({ trustDomain: 'cluster.local', networks: ['127.0.0.0/8'], peerIdentities });
const CLIENT_ID = 'spiffe://cluster.local/ns/demo/sa/client';

test('a second connection to the same peer resumes the TLS session, and the server still knows who it is', async () => {
  await withPeer(async (dial, ids) => {
    const dialer = createMeshDialer(() => mesh(), ids.client);
    assert.deepEqual(await dial(dialer), { resumed: false, serverSawPeer: CLIENT_ID });
    assert.deepEqual(await dial(dialer), { resumed: true, serverSawPeer: CLIENT_ID });
    assert.deepEqual(await dial(dialer), { resumed: true, serverSawPeer: CLIENT_ID });
  });
});

test('a rotated identity starts with a full handshake: a session is only offered with the certificate it was made with', async () => {
  await withPeer(async (dial, ids) => {
    const dialer = createMeshDialer(() => mesh(), ids.client);
    await dial(dialer);
    assert.equal((await dial(dialer)).resumed, true);
    ids.rotate();
    assert.equal((await dial(dialer)).resumed, false);
    assert.equal((await dial(dialer)).resumed, true);
  });
});

test('a reload that changes the expected peer identity starts with a full handshake (node skips the peer check on resumption)', async () => {
  await withPeer(async (dial, ids) => {
    let config = mesh();
    const dialer = createMeshDialer(() => config, ids.client);
    await dial(dialer);
    assert.equal((await dial(dialer)).resumed, true);
    config = mesh({ '127.0.0.1': ids.serverId });
    assert.equal((await dial(dialer)).resumed, false, 'the new expectation was checked on a full handshake');
    config = mesh({ '127.0.0.1': 'spiffe://cluster.local/ns/demo/sa/someone-else' });
    await assert.rejects(dial(dialer), /expected spiffe:\/\/cluster.local\/ns\/demo\/sa\/someone-else/);
  });
});

test('at most maxSessions are kept: the one received longest ago is dropped first', async () => {
  await withPeer(async (dial, ids) => {
    const dialer = createMeshDialer(() => mesh(), ids.client, () => false, 2);
    await dial(dialer, 0);
    await dial(dialer, 1);
    await dial(dialer, 2); // a third session: peer 0's, the oldest, goes
    assert.equal((await dial(dialer, 1)).resumed, true);
    assert.equal((await dial(dialer, 0)).resumed, false, 'dropped: a full handshake');
    assert.equal((await dial(dialer, 2)).resumed, true);
  });
});
