// Workload leaves: verified by node crypto and forge, their extensions, lifetimes and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import forge from 'node-forge';
import { createCa } from './ca.ts';
import { describeCertificate } from './describe.ts';
import { PkiError } from './errors.ts';
import { generateKeyPair } from './keys.ts';
import { issueLeaf, type IssueLeafOptions } from './leaf.ts';

const NOW = new Date('2030-01-15T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const identity = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web' };
const ca = createCa({ trustDomain: 'cluster.local', now: NOW });
const otherCa = createCa({ trustDomain: 'cluster.local', now: NOW });
const leafKeys = generateKeyPair();
const issue = (opts: Partial<IssueLeafOptions> = {}) => issueLeaf({ ca, identity, now: NOW, keyPair: leafKeys, ...opts });

function ext<T>(cert: forge.pki.Certificate, name: string): T & { critical?: boolean } {
  const found = cert.getExtension(name);
  assert.ok(found, `extension ${name} present`);
  return found as T & { critical?: boolean };
}

test('issueLeaf makes a leaf node crypto verifies against the CA', () => {
  const leaf = issue({ dnsNames: ['web.shop.svc.cluster.local', 'localhost'], ipAddresses: ['127.0.0.1', '::1'] });
  const x509 = new X509Certificate(leaf.certPem);
  const caX509 = new X509Certificate(ca.certPem);
  assert.ok(x509.checkIssued(caX509), 'issued by the CA');
  assert.ok(x509.verify(caX509.publicKey), 'signed by the CA key');
  assert.ok(!x509.checkIssued(new X509Certificate(otherCa.certPem)) || !x509.verify(new X509Certificate(otherCa.certPem).publicKey));
  assert.equal(x509.ca, false);
  assert.ok(x509.checkPrivateKey(createPrivateKey(leaf.keyPem)), 'key matches cert');
  assert.equal(
    x509.subjectAltName,
    'URI:spiffe://cluster.local/ns/shop/sa/web, DNS:web.shop.svc.cluster.local, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
  );
  assert.equal(x509.subject, 'CN=web');
  assert.equal(x509.issuer, caX509.subject);
  assert.deepEqual(x509.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // serverAuth, clientAuth
  assert.equal(leaf.keyPem, leafKeys.privateKeyPem);
});

test('issueLeaf makes a leaf forge verifies through a CA store', () => {
  const leafCert = forge.pki.certificateFromPem(issue().certPem);
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  assert.ok(caCert.verify(leafCert));
  const store = forge.pki.createCaStore([caCert]);
  assert.equal(forge.pki.verifyCertificateChain(store, [leafCert], { validityCheckDate: NOW }), true);
  const otherStore = forge.pki.createCaStore([forge.pki.certificateFromPem(otherCa.certPem)]);
  assert.throws(() => forge.pki.verifyCertificateChain(otherStore, [leafCert], { validityCheckDate: NOW }));
});

test('issueLeaf sets the leaf extensions of an X.509-SVID', () => {
  const cert = forge.pki.certificateFromPem(issue().certPem);
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const basic = ext<{ cA: boolean }>(cert, 'basicConstraints');
  assert.equal(basic.cA, false);
  const usage = ext<Record<string, boolean>>(cert, 'keyUsage');
  assert.equal(usage.critical, true);
  assert.equal(usage.digitalSignature, true);
  assert.equal(usage.keyEncipherment, true);
  assert.notEqual(usage.keyCertSign, true);
  const extended = ext<Record<string, boolean>>(cert, 'extKeyUsage');
  assert.equal(extended.serverAuth, true);
  assert.equal(extended.clientAuth, true);
  const caSki = ext<{ subjectKeyIdentifier: string }>(caCert, 'subjectKeyIdentifier').subjectKeyIdentifier;
  const aki = ext<{ value: string }>(cert, 'authorityKeyIdentifier');
  // AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier }: skip the 4 header bytes.
  assert.equal(forge.util.bytesToHex(aki.value).slice(8), caSki);
  assert.equal(cert.siginfo.algorithmOid, forge.pki.oids['sha256WithRSAEncryption']);
  assert.equal(ext<{ critical?: boolean }>(cert, 'subjectAltName').critical, false);
});

test('issueLeaf defaults to 24 hours, starting five minutes back for clock skew', () => {
  const x509 = new X509Certificate(issue().certPem);
  assert.equal(x509.validFromDate.getTime(), NOW.getTime() - 5 * MINUTE);
  assert.equal(x509.validToDate.getTime(), NOW.getTime() + 24 * HOUR);
  assert.equal(new X509Certificate(issue({ validityHours: 1 }).certPem).validToDate.getTime(), NOW.getTime() + HOUR);
});

test('issueLeaf never lets a leaf outlive its CA or predate it', () => {
  const shortCa = createCa({ trustDomain: 'cluster.local', validityDays: 1, now: NOW });
  const caX509 = new X509Certificate(shortCa.certPem);
  const late = new X509Certificate(issue({ ca: shortCa, validityHours: 48 }).certPem);
  assert.equal(late.validToDate.getTime(), caX509.validToDate.getTime());
  const early = new X509Certificate(issue({ ca: shortCa, now: new Date(NOW.getTime() - 2 * MINUTE) }).certPem);
  assert.equal(early.validFromDate.getTime(), caX509.validFromDate.getTime());
});

test('issueLeaf leaves the subject empty and marks the SAN critical when the SA name cannot be a CN', () => {
  const serviceAccount = `${'a'.repeat(60)}.${'b'.repeat(10)}`;
  const leaf = issue({ identity: { ...identity, serviceAccount } });
  const x509 = new X509Certificate(leaf.certPem);
  assert.equal(x509.subject, undefined); // node reports an empty name as undefined, despite its types
  assert.equal(describeCertificate(leaf.certPem).subject, '');
  assert.equal(x509.subjectAltName, `URI:spiffe://cluster.local/ns/shop/sa/${serviceAccount}`);
  assert.equal(ext<object>(forge.pki.certificateFromPem(leaf.certPem), 'subjectAltName').critical, true);
  assert.ok(x509.verify(new X509Certificate(ca.certPem).publicKey));
});

test('issueLeaf generates a fresh key when none is given', () => {
  const a = issueLeaf({ ca, identity });
  const b = issueLeaf({ ca, identity });
  assert.notEqual(a.keyPem, b.keyPem);
  assert.ok(new X509Certificate(a.certPem).publicKey.equals(createPublicKey(a.keyPem)));
});

const leafCert = issue();
const refusals: Array<[name: string, opts: Partial<IssueLeafOptions>, code: string, message: RegExp]> = [
  ['an uppercase namespace', { identity: { ...identity, namespace: 'Shop' } }, 'invalid-identity', /namespace "Shop"/],
  ['an empty service account', { identity: { ...identity, serviceAccount: '' } }, 'invalid-identity', /service account ""/],
  ['a bad trust domain', { identity: { ...identity, trustDomain: 'a b' } }, 'invalid-identity', /trust domain "a b"/],
  ['an IPv4 octet over 255', { ipAddresses: ['999.1.1.1'] }, 'invalid-ip', /"999\.1\.1\.1" is not an IPv4 or IPv6 address/],
  ['a short IPv4 address', { ipAddresses: ['1.2.3'] }, 'invalid-ip', /"1\.2\.3"/],
  ['a leading zero', { ipAddresses: ['01.2.3.4'] }, 'invalid-ip', /"01\.2\.3\.4"/],
  ['an IPv6 zone', { ipAddresses: ['fe80::1%eth0'] }, 'invalid-ip', /"fe80::1%eth0"/],
  ['a bracketed IPv6', { ipAddresses: ['[::1]'] }, 'invalid-ip', /"\[::1\]"/],
  ['two ::', { ipAddresses: ['1::2::3'] }, 'invalid-ip', /"1::2::3"/],
  ['a host name as IP', { ipAddresses: ['localhost'] }, 'invalid-ip', /"localhost"/],
  ['an empty DNS name', { dnsNames: [''] }, 'invalid-dns-name', /"" is not a DNS name/],
  ['a DNS name with _', { dnsNames: ['my_host'] }, 'invalid-dns-name', /"my_host"/],
  ['a DNS name with an empty label', { dnsNames: ['a..b'] }, 'invalid-dns-name', /"a\.\.b"/],
  ['zero hours', { validityHours: 0 }, 'invalid-validity', /positive number of hours/],
  ['a CA key from another CA', { ca: { certPem: ca.certPem, keyPem: otherCa.keyPem } }, 'ca-key-mismatch', /does not belong to the CA certificate/],
  ['a leaf as CA', { ca: leafCert }, 'not-a-ca', /is not a CA/],
  ['a CA that is not PEM', { ca: { certPem: 'garbage', keyPem: ca.keyPem } }, 'invalid-certificate', /CA certificate is not a PEM RSA certificate/],
  ['an expired CA', { now: new Date(NOW.getTime() + 400 * 24 * HOUR) }, 'ca-expired', /CA certificate expired at 2031-01-15T12:00:00\.000Z/],
];

for (const [name, opts, code, message] of refusals) {
  test(`issueLeaf refuses ${name}`, () => {
    assert.throws(() => issue(opts), (err: unknown) => {
      assert.ok(err instanceof PkiError);
      assert.equal(err.code, code);
      assert.match(err.message, message);
      return true;
    });
  });
}
