// Opaque TCP over mesh mTLS between the proxy's own stages on loopback: forwardTcp (the outbound
// side) to a TLS terminator (the inbound side). A client that writes and half-closes before the
// upstream handshake is done still gets its answer; one that closes without a byte leaves nothing
// open on either side; a client that half-closes mid-handshake is let go at once, not at the timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { connect as connectTls, createSecureContext, TLSSocket } from 'node:tls';
import { withTempDir, writeCertFixture, type CertFixture } from '@outrigger/testing';
import { buildIdentity } from '../identity.ts';
import { createMeshDialer } from '../mesh-dialer.ts';
import { newConnectionRecord, type ConnectionRecord } from '../record.ts';
import { forwardTcp } from './forward-tcp.ts';
import { createTlsTerminator } from './terminate-tls.ts';

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};
const record = () => newConnectionRecord({ direction: 'inbound', listener: 'test', port: 0, now: 0 });

interface Pair {
  /** Port of the outbound side (forwardTcp to the inbound side over mesh mTLS). */
  port: number;
  /** Port of the inbound side (the TLS terminator). */
  inboundPort: number;
  /** What the inbound side saw of each connection: 'secure' and what it echoed, or its failure. */
  inbound: string[];
  /** The outbound side's record of each finished connection. */
  outbound: ConnectionRecord[];
  open: () => number;
  f: CertFixture;
}

/** The inbound side echoes what it reads and ends when the client does. */
async function withPair(fn: (pair: Pair) => Promise<void>, handshakeTimeoutMs = 30_000): Promise<void> {
  await withTempDir(async (dir) => {
    const f = writeCertFixture(dir);
    const ca = readFileSync(f.caCert, 'utf8');
    const serverId = buildIdentity(readFileSync(f.server.cert, 'utf8'), readFileSync(f.server.key, 'utf8'), ca);
    const clientId = buildIdentity(readFileSync(f.client.cert, 'utf8'), readFileSync(f.client.key, 'utf8'), ca);
    const terminator = createTlsTerminator({ mode: 'mutual', contextOptions: serverId.contextOptions, handshakeTimeoutMs, alpnHttp1: false, trustDomain: 'cluster.local' });
    const sockets = new Set<Socket>();
    const track = (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    };
    const inbound: string[] = [];
    const inboundServer = createServer({ allowHalfOpen: true }, (raw) => {
      track(raw);
      terminator.terminate(raw, record()).then(
        (tls) => {
          let echoed = '';
          tls.on('data', (d: Buffer) => (echoed += d.toString()));
          tls.pipe(tls);
          tls.once('end', () => inbound.push(`secure, echoed ${JSON.stringify(echoed)}`));
        },
        (err: Error) => inbound.push(err.message),
      );
    });
    const inboundPort = await listen(inboundServer);
    const dialer = createMeshDialer(() => ({ trustDomain: 'cluster.local', networks: ['127.0.0.0/8'], peerIdentities: {} }), () => clientId);
    const outbound: ConnectionRecord[] = [];
    const outboundServer = createServer({ allowHalfOpen: true }, (raw) => {
      track(raw);
      const r = record();
      void forwardTcp(raw, r, { host: '127.0.0.1', port: inboundPort, connectTimeoutMs: 5000, idleTimeoutMs: 60_000, tls: dialer.tlsOptions('127.0.0.1', inboundPort) }, null).then(() => outbound.push(r));
    });
    const port = await listen(outboundServer);
    try {
      await fn({ port, inboundPort, inbound, outbound, open: () => sockets.size, f });
    } finally {
      for (const s of sockets) s.destroy();
      inboundServer.close();
      outboundServer.close();
    }
  });
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('bytes written and a half-close sent before the mesh handshake is done arrive, and the answer comes back', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    await withPair(async ({ port, inbound, outbound, open }) => {
      const client = connect(port, '127.0.0.1');
      // Twenty writes at once: each write to a still-connecting socket used to add a listener.
      for (let i = 0; i < 20; i++) client.write(`chunk ${i};`);
      client.end();
      let answer = '';
      client.on('data', (d: Buffer) => (answer += d.toString()));
      await new Promise<void>((resolve) => client.once('close', () => resolve()));
      const sent = Array.from({ length: 20 }, (_, i) => `chunk ${i};`).join('');
      assert.equal(answer, sent);
      await until('the outbound side finished the connection', () => outbound.length === 1);
      assert.equal(outbound[0]?.error, null);
      assert.equal(outbound[0]?.peerIdentity, 'spiffe://cluster.local/ns/demo/sa/legacy-app');
      assert.deepEqual(inbound, [`secure, echoed ${JSON.stringify(sent)}`]);
      await until('no socket left open', () => open() === 0);
    });
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, [], 'no MaxListenersExceededWarning');
});

test('a client that connects and closes without a byte: the handshake completes, then both sides close', async () => {
  await withPair(async ({ port, inbound, outbound, open }) => {
    for (let i = 0; i < 3; i++) {
      const client = connect(port, '127.0.0.1', () => client.end());
      client.resume();
      await new Promise<void>((resolve) => client.once('close', () => resolve()));
    }
    // Before: the outbound side ended its TLS socket mid-handshake, the inbound side waited for a
    // Finished that could not come, and both kept the connection until the handshake timeout (30 s here).
    await until('three connections finished on the outbound side', () => outbound.length === 3);
    await until('no socket left open', () => open() === 0);
    assert.deepEqual(inbound, ['secure, echoed ""', 'secure, echoed ""', 'secure, echoed ""']);
  });
});

test('a TLS client that half-closes mid-handshake is let go at once (tls_handshake_failed, closed), not at the handshake timeout', async () => {
  await withPair(async ({ inboundPort, inbound, open, f }) => {
    // end() before the handshake is done: node shuts TCP down before the client's Finished.
    const client = connectTls({ host: '127.0.0.1', port: inboundPort, cert: readFileSync(f.client.cert), key: readFileSync(f.client.key), ca: readFileSync(f.caCert), checkServerIdentity: () => undefined, ALPNProtocols: ['outrigger'] });
    client.end();
    client.resume();
    client.on('error', () => {});
    await until('the inbound side gave up on the handshake', () => inbound.length === 1);
    assert.deepEqual(inbound, ['TLS handshake failed: closed']);
    await new Promise<void>((resolve) => (client.closed ? resolve() : client.once('close', () => resolve())));
    await until('no socket left open', () => open() === 0);
  });
});

test("the terminator hands over a TLS socket that keeps node's own listeners (the SSL object freed on close)", async () => {
  await withTempDir(async (dir) => {
    const f = writeCertFixture(dir);
    const ca = readFileSync(f.caCert, 'utf8');
    const serverId = buildIdentity(readFileSync(f.server.cert, 'utf8'), readFileSync(f.server.key, 'utf8'), ca);
    const terminator = createTlsTerminator({ mode: 'mutual', contextOptions: serverId.contextOptions, handshakeTimeoutMs: 30_000, alpnHttp1: false });
    const names = (s: TLSSocket, event: string) => s.listeners(event).map((l) => l.name).sort();
    const fresh = new TLSSocket(new Socket(), { isServer: true, secureContext: createSecureContext(serverId.contextOptions) });
    const handedOver = new Promise<TLSSocket>((resolvePromise, reject) => {
      const server = createServer((raw) => {
        server.close();
        terminator.terminate(raw, record()).then(resolvePromise, reject);
      });
      server.listen(0, '127.0.0.1', () => {
        const client = connectTls({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, cert: readFileSync(f.client.cert), key: readFileSync(f.client.key), ca: readFileSync(f.caCert), checkServerIdentity: () => undefined });
        client.on('error', () => {});
        client.on('secureConnect', () => setTimeout(() => client.destroy(), 200));
      });
    });
    const tls = await handedOver;
    try {
      for (const event of ['close', 'end']) {
        const builtIn = names(fresh, event).filter(Boolean);
        assert.ok(builtIn.length > 0, `node has its own ${event} listener`);
        for (const name of builtIn) assert.ok(names(tls, event).includes(name), `${name} (${event}) is still there: ${names(tls, event).join(', ')}`);
      }
    } finally {
      tls.destroy();
      fresh.destroy();
    }
  });
});
