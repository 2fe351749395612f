// Certificates for tests, written as PEM files: a mesh CA with a server and a client leaf, and a
// second, unrelated CA with a client leaf that must be refused.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, issueLeaf, type CertificateBundle } from '@outrigger/pki';

export interface CertFixture {
  caCert: string;
  server: { cert: string; key: string; id: string };
  client: { cert: string; key: string; id: string };
  otherClient: { cert: string; key: string; id: string };
}

function write(dir: string, name: string, bundle: CertificateBundle): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, bundle.certPem);
  writeFileSync(key, bundle.keyPem, { mode: 0o600 });
  return { cert, key };
}

export function writeCertFixture(dir: string): CertFixture {
  mkdirSync(dir, { recursive: true });
  const ca = createCa({ trustDomain: 'cluster.local' });
  const other = createCa({ trustDomain: 'other.example' });
  const serverId = { trustDomain: 'cluster.local', namespace: 'demo', serviceAccount: 'legacy-app' };
  const clientId = { trustDomain: 'cluster.local', namespace: 'demo', serviceAccount: 'client' };
  const otherId = { trustDomain: 'other.example', namespace: 'demo', serviceAccount: 'client' };
  const caCert = join(dir, 'ca.crt');
  writeFileSync(caCert, ca.certPem);
  return {
    caCert,
    server: { ...write(dir, 'server', issueLeaf({ ca, identity: serverId, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })), id: 'spiffe://cluster.local/ns/demo/sa/legacy-app' },
    client: { ...write(dir, 'client', issueLeaf({ ca, identity: clientId })), id: 'spiffe://cluster.local/ns/demo/sa/client' },
    otherClient: { ...write(dir, 'other-client', issueLeaf({ ca: other, identity: otherId })), id: 'spiffe://other.example/ns/demo/sa/client' },
  };
}
