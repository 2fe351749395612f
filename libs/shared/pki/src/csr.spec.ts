// CSRs: made and read back, refused when altered or foreign, and signed into leaves that node
// crypto, openssl and verifyLeaf accept and that carry only the identity the signer allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { createCa } from './ca.ts';
import { createCsr, parseCsr, signCsr } from './csr.ts';
import { describeCertificate } from './describe.ts';
import { PkiError } from './errors.ts';
import { generateKeyPair } from './keys.ts';
import { issueLeaf } from './leaf.ts';
import { verifyLeaf } from './verify.ts';

const NOW = new Date('2030-01-15T12:00:00Z');
const HOUR = 3600_000;
const web = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web' };
const admin = { ...web, serviceAccount: 'admin' };
const ca = createCa({ trustDomain: 'cluster.local', now: NOW });
const keys = generateKeyPair();
const webCsr = createCsr({ keyPair: keys, identity: web });

function pkiError(code: string, message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof PkiError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

/** Re-encodes a CSR with one byte string inside it replaced (same length, so the DER stays valid). */
function tamper(pem: string, from: string, to: string): string {
  const der = forge.pki.pemToDer(pem).getBytes();
  assert.ok(der.includes(from) && from.length === to.length);
  const body = Buffer.from(der.replace(from, to), 'binary').toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n`;
}

test('createCsr and parseCsr round trip: the key and the SPIFFE ID come back', () => {
  assert.match(webCsr, /^-----BEGIN CERTIFICATE REQUEST-----\r?\n/);
  const parsed = parseCsr(webCsr);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  assert.deepEqual([parsed.uris, parsed.dnsNames, parsed.ipAddresses], [['spiffe://cluster.local/ns/shop/sa/web'], [], []]);
  assert.ok(createPublicKey(parsed.publicKeyPem).equals(createPublicKey(keys.publicKeyPem)));
  const csr = forge.pki.certificationRequestFromPem(webCsr);
  assert.equal(csr.siginfo.algorithmOid, forge.pki.oids['sha256WithRSAEncryption']);
  assert.equal(csr.subject.getField('CN').value, 'web');
});

test('openssl accepts the CSR and its signature', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-csr-'));
  try {
    writeFileSync(join(dir, 'web.csr'), webCsr);
    const text = execFileSync('openssl', ['req', '-in', join(dir, 'web.csr'), '-noout', '-verify', '-text'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(text, /URI:spiffe:\/\/cluster\.local\/ns\/shop\/sa\/web/);
    assert.match(text, /Public-Key: \(2048 bit\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseCsr reads an openssl CSR and refuses an ECDSA one with a clear reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-csr-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    writeFileSync(join(dir, 'rsa.key'), keys.privateKeyPem);
    openssl('req', '-new', '-key', 'rsa.key', '-subj', '/CN=web', '-addext', 'subjectAltName=URI:spiffe://cluster.local/ns/shop/sa/web,DNS:web.shop', '-out', 'rsa.csr');
    const rsa = parseCsr(readFileSync(join(dir, 'rsa.csr'), 'utf8'));
    assert.ok(rsa.ok, rsa.ok ? '' : rsa.reason);
    assert.deepEqual([rsa.uris, rsa.dnsNames], [['spiffe://cluster.local/ns/shop/sa/web'], ['web.shop']]);
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ec.key', '-subj', '/CN=web', '-out', 'ec.csr');
    assert.deepEqual(parseCsr(readFileSync(join(dir, 'ec.csr'), 'utf8')), { ok: false, reason: 'the CSR\'s public key is not RSA; this CA signs only RSA keys' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseCsr refuses a CSR altered after signing', () => {
  const altered = tamper(webCsr, '/sa/web', '/sa/xyz');
  const parsed = parseCsr(altered);
  assert.equal(parsed.ok, false);
  assert.match(parsed.ok ? '' : parsed.reason, /signature does not verify with its own public key/);
  assert.throws(() => signCsr({ ca, csrPem: altered, identity: { ...web, serviceAccount: 'xyz' }, now: NOW }), pkiError('invalid-csr', /signature/));
});

test('parseCsr refuses what is not a CSR, with a sentence for each case', () => {
  assert.match((parseCsr('hello') as { reason: string }).reason, /not a PEM certificate request/);
  assert.match((parseCsr(ca.certPem) as { reason: string }).reason, /not a PEM certificate request/);
  const broken = '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n';
  assert.match((parseCsr(broken) as { reason: string }).reason, /cannot be decoded as PKCS#10/);
});

test('signCsr issues a 24 h leaf for the CSR key that verifyLeaf and node crypto accept', () => {
  const certPem = signCsr({ ca, csrPem: webCsr, identity: web, now: NOW });
  assert.deepEqual(verifyLeaf(certPem, [ca.certPem], new Date(NOW.getTime() + HOUR)), { ok: true });
  const x509 = new X509Certificate(certPem);
  const caX509 = new X509Certificate(ca.certPem);
  assert.ok(x509.checkIssued(caX509) && x509.verify(caX509.publicKey));
  assert.ok(x509.publicKey.equals(createPublicKey(keys.publicKeyPem)), 'the leaf holds the CSR key');
  assert.equal(x509.subjectAltName, 'URI:spiffe://cluster.local/ns/shop/sa/web');
  assert.equal(x509.validToDate.getTime(), NOW.getTime() + 24 * HOUR);
  assert.equal(describeCertificate(certPem).spiffeId, 'spiffe://cluster.local/ns/shop/sa/web');
});

test('signCsr has the profile of issueLeaf', () => {
  const signed = forge.pki.certificateFromPem(signCsr({ ca, csrPem: webCsr, identity: web, now: NOW, validityHours: 2 }));
  const issued = forge.pki.certificateFromPem(issueLeaf({ ca, identity: web, now: NOW, validityHours: 2, keyPair: keys }).certPem);
  const profile = (c: forge.pki.Certificate) => ({
    subject: c.subject.attributes.map((a) => [a.shortName, a.value]),
    issuer: c.issuer.hash,
    validity: [c.validity.notBefore.getTime(), c.validity.notAfter.getTime()],
    extensions: c.extensions.map((e: { name: string; critical?: boolean; value: string }) => [e.name, e.critical ?? false, e.value]),
  });
  assert.deepEqual(profile(signed), profile(issued));
});

test('signCsr refuses a CSR that asks for another identity, for more, or for nothing', () => {
  const forAdmin = createCsr({ keyPair: keys, identity: admin });
  assert.throws(() => signCsr({ ca, csrPem: forAdmin, identity: web, now: NOW }),
    pkiError('csr-identity-mismatch', /asks for URI spiffe:\/\/cluster\.local\/ns\/shop\/sa\/admin, but only spiffe:\/\/cluster\.local\/ns\/shop\/sa\/web may be signed/));
  const csr = forge.pki.createCertificationRequest();
  const forgeKey = forge.pki.privateKeyFromPem(keys.privateKeyPem);
  csr.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  csr.setAttributes([{ name: 'extensionRequest', extensions: [{ name: 'subjectAltName', altNames: [{ type: 6, value: 'spiffe://cluster.local/ns/shop/sa/web' }, { type: 2, value: 'kubernetes.default' }] }] }]);
  csr.sign(forgeKey, forge.md.sha256.create());
  assert.throws(() => signCsr({ ca, csrPem: forge.pki.certificationRequestToPem(csr), identity: web, now: NOW }), pkiError('csr-identity-mismatch', /DNS kubernetes\.default/));
  csr.setAttributes([]);
  csr.sign(forgeKey, forge.md.sha256.create());
  assert.throws(() => signCsr({ ca, csrPem: forge.pki.certificationRequestToPem(csr), identity: web, now: NOW }), pkiError('csr-identity-mismatch', /asks for no identity/));
});

test('createCsr refuses an invalid identity or a key pair that does not match', () => {
  assert.throws(() => createCsr({ keyPair: keys, identity: { ...web, namespace: 'Shop' } }), pkiError('invalid-identity', /namespace "Shop"/));
  const other = generateKeyPair();
  assert.throws(() => createCsr({ keyPair: { privateKeyPem: keys.privateKeyPem, publicKeyPem: other.publicKeyPem }, identity: web }), pkiError('invalid-key', /does not belong/));
});
