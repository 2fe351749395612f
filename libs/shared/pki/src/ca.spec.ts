// The mesh CA, judged by node crypto and forge rather than by the code that built it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { createCa } from './ca.ts';
import { PkiError } from './errors.ts';
import { generateKeyPair } from './keys.ts';

const NOW = new Date('2030-01-15T12:00:00Z');
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const sharedKeys = generateKeyPair();

function ext<T>(cert: forge.pki.Certificate, name: string): T & { critical?: boolean } {
  const found = cert.getExtension(name);
  assert.ok(found, `extension ${name} present`);
  return found as T & { critical?: boolean };
}

test('createCa makes a self-signed root that node crypto accepts as a CA', () => {
  const ca = createCa({ trustDomain: 'cluster.local', now: NOW });
  const x509 = new X509Certificate(ca.certPem);
  assert.equal(x509.ca, true);
  assert.ok(x509.checkIssued(x509), 'self-issued');
  assert.ok(x509.verify(x509.publicKey), 'self-signed');
  assert.ok(x509.checkPrivateKey(createPrivateKey(ca.keyPem)), 'key matches cert');
  assert.match(x509.subject, /CN=Outrigger mesh CA \(cluster\.local\)/);
  assert.equal(x509.subject, x509.issuer);
  assert.equal(x509.subjectAltName, 'URI:spiffe://cluster.local');
  assert.equal(x509.validFromDate.getTime(), NOW.getTime() - 5 * MINUTE);
  assert.equal(x509.validToDate.getTime(), NOW.getTime() + 365 * DAY);
  assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(createPublicKey(ca.keyPem).asymmetricKeyDetails?.modulusLength, 2048);
});

test('createCa sets the CA extensions, critical where RFC 5280 wants them, and signs with SHA-256', () => {
  const cert = forge.pki.certificateFromPem(createCa({ trustDomain: 'cluster.local', now: NOW }).certPem);
  const basic = ext<{ cA: boolean }>(cert, 'basicConstraints');
  assert.equal(basic.cA, true);
  assert.equal(basic.critical, true);
  const usage = ext<Record<string, boolean>>(cert, 'keyUsage');
  assert.equal(usage.critical, true);
  assert.equal(usage.keyCertSign, true);
  assert.equal(usage.cRLSign, true);
  assert.notEqual(usage.digitalSignature, true);
  assert.match(ext<{ subjectKeyIdentifier: string }>(cert, 'subjectKeyIdentifier').subjectKeyIdentifier, /^[0-9a-f]{40}$/);
  assert.equal(cert.siginfo.algorithmOid, forge.pki.oids['sha256WithRSAEncryption']);
  assert.ok(cert.verify(cert), 'forge verifies the self-signature');
});

test('createCa serial numbers are positive, 16 bytes and random', () => {
  const serials = [1, 2, 3].map(() => new X509Certificate(createCa({ trustDomain: 'a', keyPair: sharedKeys }).certPem).serialNumber);
  for (const serial of serials) assert.match(serial, /^[1-7][0-9A-F]{31}$|^0[1-9A-F][0-9A-F]{30}$/);
  assert.equal(new Set(serials).size, serials.length);
});

test('createCa honours commonName, validityDays and a given key pair', () => {
  const ca = createCa({ trustDomain: 'prod.example', commonName: 'Prod root', validityDays: 10, now: NOW, keyPair: sharedKeys });
  const x509 = new X509Certificate(ca.certPem);
  assert.equal(x509.subject, 'O=Outrigger\nCN=Prod root');
  assert.equal(x509.validToDate.getTime(), NOW.getTime() + 10 * DAY);
  assert.ok(x509.publicKey.equals(createPublicKey(sharedKeys.publicKeyPem)));
  assert.equal(ca.keyPem, sharedKeys.privateKeyPem);
});

test('createCa falls back to a shorter common name when the trust domain would make it too long', () => {
  const ca = createCa({ trustDomain: `${'a'.repeat(60)}.example`, keyPair: sharedKeys });
  assert.equal(new X509Certificate(ca.certPem).subject, 'O=Outrigger\nCN=Outrigger mesh CA');
});

test('createCa accepts a PKCS#1 key and hands back PKCS#8', () => {
  const pkcs1 = createPrivateKey(sharedKeys.privateKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
  const ca = createCa({ trustDomain: 'a', keyPair: { privateKeyPem: pkcs1, publicKeyPem: sharedKeys.publicKeyPem } });
  assert.equal(ca.keyPem, sharedKeys.privateKeyPem);
});

const ed25519 = generateKeyPairSync('ed25519', {
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const otherKeys = generateKeyPair();

const refusals: Array<[name: string, opts: Parameters<typeof createCa>[0], code: string, message: RegExp]> = [
  ['empty trust domain', { trustDomain: '' }, 'invalid-trust-domain', /trust domain is empty/],
  ['uppercase trust domain', { trustDomain: 'Cluster.Local' }, 'invalid-trust-domain', /must be lowercase/],
  ['trust domain with a port', { trustDomain: 'cluster.local:80' }, 'invalid-trust-domain', /contains a character/],
  ['zero days', { trustDomain: 'a', validityDays: 0 }, 'invalid-validity', /positive number of days/],
  ['negative days', { trustDomain: 'a', validityDays: -3 }, 'invalid-validity', /positive number of days/],
  ['NaN days', { trustDomain: 'a', validityDays: Number.NaN }, 'invalid-validity', /positive number of days/],
  ['empty common name', { trustDomain: 'a', commonName: '' }, 'invalid-common-name', /1 to 64 characters/],
  ['long common name', { trustDomain: 'a', commonName: 'x'.repeat(65) }, 'invalid-common-name', /1 to 64 characters/],
  ['halves of different key pairs', { trustDomain: 'a', keyPair: { privateKeyPem: sharedKeys.privateKeyPem, publicKeyPem: otherKeys.publicKeyPem } }, 'invalid-key', /does not belong/],
  ['a non-RSA key', { trustDomain: 'a', keyPair: { privateKeyPem: ed25519.privateKey, publicKeyPem: ed25519.publicKey } }, 'invalid-key', /is ed25519, but only RSA/],
  ['garbage key', { trustDomain: 'a', keyPair: { privateKeyPem: 'nope', publicKeyPem: 'nope' } }, 'invalid-key', /not an unencrypted PEM private key/],
];

for (const [name, opts, code, message] of refusals) {
  test(`createCa refuses ${name}`, () => {
    assert.throws(() => createCa(opts), (err: unknown) => {
      assert.ok(err instanceof PkiError);
      assert.equal(err.code, code);
      assert.match(err.message, message);
      return true;
    });
  });
}
