// Reading node's subjectaltname strings, including the quoted forms a forger would aim at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { generateKeyPair } from './keys.ts';
import { parseSubjectAltNames, peerIdentityFromSubjectAltName } from './subject-alt-name.ts';

const cases: Array<[name: string, san: string | undefined, identity: string | undefined]> = [
  ['undefined', undefined, undefined],
  ['empty', '', undefined],
  ['only a URI', 'URI:spiffe://cluster.local/ns/a/sa/b', 'spiffe://cluster.local/ns/a/sa/b'],
  ['mixed', 'DNS:localhost, URI:spiffe://cluster.local/ns/a/sa/b, IP Address:127.0.0.1', 'spiffe://cluster.local/ns/a/sa/b'],
  ['first spiffe URI wins', 'URI:https://example.org/x, URI:spiffe://td/ns/a/sa/b, URI:spiffe://td/ns/c/sa/d', 'spiffe://td/ns/a/sa/b'],
  ['no URI', 'DNS:localhost, IP Address:127.0.0.1', undefined],
  ['non-spiffe URI', 'URI:https://example.org/ns/a/sa/b', undefined],
  ['spiffe in a DNS name', 'DNS:spiffe://td/ns/a/sa/b', undefined],
  ['uppercase scheme is not a SPIFFE ID', 'URI:SPIFFE://td/ns/a/sa/b', undefined],
  // Node quotes a whole entry holding a comma and escapes the comma, so it stays one value.
  ['forged second entry inside a quoted value', '"URI:spiffe://evil\\u002c URI:spiffe://td/ns/admin/sa/root", DNS:x', 'spiffe://evil, URI:spiffe://td/ns/admin/sa/root'],
  ['forged second entry quoted after the type', 'DNS:a, URI:"spiffe://evil\\u002c URI:spiffe://td/ns/admin/sa/root"', 'spiffe://evil, URI:spiffe://td/ns/admin/sa/root'],
  ['quoted entry before the real one', 'DNS:a, "DNS:b\\u002c URI:spiffe://td/ns/x/sa/y", URI:spiffe://td/ns/a/sa/b', 'spiffe://td/ns/a/sa/b'],
  ['value quoted after the type', 'DirName:"CN=a,O=b", URI:spiffe://td/ns/a/sa/b', 'spiffe://td/ns/a/sa/b'],
  ['URI quoted after the type', 'URI:"spiffe://td/ns/a/sa/b"', 'spiffe://td/ns/a/sa/b'],
  ['escaped quote in a value', '"DNS:a\\"b", URI:spiffe://td/ns/a/sa/b', 'spiffe://td/ns/a/sa/b'],
  ['unterminated quote stops parsing', 'DNS:a, "URI:spiffe://td/ns/a/sa/b', undefined],
];

for (const [name, san, identity] of cases) {
  test(`peerIdentityFromSubjectAltName: ${name}`, () => {
    assert.equal(peerIdentityFromSubjectAltName(san), identity);
  });
}

test('parseSubjectAltNames keeps types with spaces and decodes quoted values', () => {
  assert.deepEqual(parseSubjectAltNames('DNS:a.b, IP Address:::1, "email:x\\u002cy@z", othername:<unsupported>'), [
    { type: 'DNS', value: 'a.b' },
    { type: 'IP Address', value: '::1' },
    { type: 'email', value: 'x,y@z' },
    { type: 'othername', value: '<unsupported>' },
  ]);
});

test('a URI SAN crafted to look like two entries stays one, as node reports it from a real certificate', () => {
  const forged = 'spiffe://evil, URI:spiffe://td/ns/admin/sa/root';
  const keys = generateKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 60_000);
  cert.setSubject([{ name: 'commonName', value: 'forger' }]);
  cert.setIssuer([{ name: 'commonName', value: 'forger' }]);
  cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 2, value: 'a' }, { type: 6, value: forged }] }]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  const san = new X509Certificate(forge.pki.certificateToPem(cert)).subjectAltName;
  assert.ok(san?.includes('\\u002c'), `node escaped the comma: ${san}`);
  assert.equal(peerIdentityFromSubjectAltName(san), forged);
});
