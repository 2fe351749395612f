// describeCertificate on this library's certificates and on an ECDSA one from openssl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa } from './ca.ts';
import { describeCertificate } from './describe.ts';
import { PkiError } from './errors.ts';
import { issueLeaf } from './leaf.ts';

const NOW = new Date('2030-01-15T12:00:00Z');
const ca = createCa({ trustDomain: 'cluster.local', now: NOW });

test('describeCertificate summarises a CA', () => {
  const info = describeCertificate(ca.certPem);
  assert.equal(info.subject, 'O=Outrigger, CN=Outrigger mesh CA (cluster.local)');
  assert.equal(info.issuer, info.subject);
  assert.match(info.serialNumber, /^[0-9A-F]{32}$/);
  assert.deepEqual([info.notBefore, info.notAfter], [new Date('2030-01-15T11:55:00Z'), new Date('2031-01-15T12:00:00Z')]);
  assert.deepEqual([info.uris, info.dnsNames, info.ipAddresses], [['spiffe://cluster.local'], [], []]);
  assert.equal(info.isCa, true);
});

test('describeCertificate summarises a leaf', () => {
  const identity = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web' };
  const leaf = issueLeaf({ ca, identity, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now: NOW });
  assert.deepEqual({ ...describeCertificate(leaf.certPem), serialNumber: 'x' }, {
    subject: 'CN=web',
    issuer: 'O=Outrigger, CN=Outrigger mesh CA (cluster.local)',
    serialNumber: 'x',
    notBefore: new Date('2030-01-15T11:55:00Z'),
    notAfter: new Date('2030-01-16T12:00:00Z'),
    uris: ['spiffe://cluster.local/ns/shop/sa/web'],
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    isCa: false,
    spiffeId: 'spiffe://cluster.local/ns/shop/sa/web',
  });
});

test('describeCertificate reads ECDSA certificates from other issuers, which forge cannot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-pki-'));
  try {
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', cert, '-subj', '/O=SPIRE',
      '-addext', 'subjectAltName=URI:spiffe://example.org/ns/a/sa/b,DNS:b.a.svc',
    ], { stdio: 'pipe' });
    const info = describeCertificate(readFileSync(cert, 'utf8'));
    assert.equal(info.subject, 'O=SPIRE');
    assert.equal(info.spiffeId, 'spiffe://example.org/ns/a/sa/b');
    assert.deepEqual(info.dnsNames, ['b.a.svc']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('describeCertificate refuses what is not a certificate', () => {
  assert.throws(() => describeCertificate(ca.keyPem), (err: unknown) => err instanceof PkiError && err.code === 'invalid-certificate');
});
