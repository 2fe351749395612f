// Real mutual TLS on loopback with certificates from this library: what the proxy will rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { createCa, type CertificateBundle } from './ca.ts';
import { issueLeaf } from './leaf.ts';
import { peerIdentityFromSubjectAltName } from './subject-alt-name.ts';

const ca = createCa({ trustDomain: 'cluster.local' });
const otherCa = createCa({ trustDomain: 'cluster.local' });
const server = issueLeaf({ ca, identity: { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'api' }, ipAddresses: ['127.0.0.1'] });
const client = issueLeaf({ ca, identity: { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web' } });
const strangerClient = issueLeaf({ ca: otherCa, identity: { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web' } });
const strangerServer = issueLeaf({ ca: otherCa, identity: { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'api' }, ipAddresses: ['127.0.0.1'] });

interface ServerLog {
  accepted: number;
  failures: Error[];
}

/** A mutual-TLS server that answers each client with the SPIFFE ID it saw, and records failures. */
async function withServer(leaf: CertificateBundle, fn: (port: number, log: ServerLog) => Promise<void>): Promise<void> {
  const log: ServerLog = { accepted: 0, failures: [] };
  const srv = tls.createServer({ key: leaf.keyPem, cert: leaf.certPem, ca: [ca.certPem], requestCert: true, rejectUnauthorized: true }, (socket) => {
    log.accepted++;
    socket.on('error', () => {});
    socket.end(peerIdentityFromSubjectAltName(socket.getPeerCertificate().subjectaltname) ?? 'none');
  });
  srv.on('tlsClientError', (err) => log.failures.push(err));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  try {
    await fn((srv.address() as AddressInfo).port, log);
  } finally {
    srv.close();
  }
}

/** Connects, then resolves with what the server said or rejects with why the connection failed. */
function talk(port: number, leaf: CertificateBundle | undefined, trust: string): Promise<{ said: string; serverIdentity: string | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: [trust], ...(leaf ? { key: leaf.keyPem, cert: leaf.certPem } : {}) });
    let said = '';
    let serverIdentity: string | undefined;
    socket.setTimeout(5000, () => socket.destroy(new Error('timed out')));
    socket.on('secureConnect', () => { serverIdentity = peerIdentityFromSubjectAltName(socket.getPeerCertificate().subjectaltname); });
    socket.on('data', (chunk: Buffer) => { said += chunk.toString(); });
    socket.on('end', () => (said === '' ? reject(new Error('closed without an answer')) : resolve({ said, serverIdentity })));
    socket.on('error', reject);
  });
}

test('mutual TLS between two leaves of one CA: each side sees the other\'s SPIFFE ID', async () => {
  await withServer(server, async (port, log) => {
    const answer = await talk(port, client, ca.certPem);
    assert.equal(answer.said, 'spiffe://cluster.local/ns/shop/sa/web');
    assert.equal(answer.serverIdentity, 'spiffe://cluster.local/ns/shop/sa/api');
    assert.deepEqual([log.accepted, log.failures], [1, []]);
  });
});

// With TLS 1.3 the client finishes its side of the handshake before the server has judged its
// certificate, so the refusal shows as a closed connection on the client and a failure on the server.
test('the server rejects a client whose certificate comes from another CA', async () => {
  await withServer(server, async (port, log) => {
    await assert.rejects(talk(port, strangerClient, ca.certPem));
    await waitFor(() => log.failures.length > 0);
    assert.equal(log.accepted, 0);
  });
});

test('the server rejects a client without a certificate', async () => {
  await withServer(server, async (port, log) => {
    await assert.rejects(talk(port, undefined, ca.certPem), /certificate required/);
    await waitFor(() => log.failures.length > 0);
    assert.equal(log.accepted, 0);
  });
});

test('the client rejects a server whose certificate comes from another CA', async () => {
  await withServer(strangerServer, async (port) => {
    await assert.rejects(talk(port, client, ca.certPem), (err: NodeJS.ErrnoException) => {
      assert.match(String(err.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/);
      return true;
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
