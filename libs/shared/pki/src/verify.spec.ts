// verifyLeaf against trust bundles: other CAs, expiry, CA rolls and garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createCa } from './ca.ts';
import { generateKeyPair } from './keys.ts';
import { issueLeaf } from './leaf.ts';
import { parseTrustBundle, verifyLeaf, verifyLeafCertificate } from './verify.ts';

const NOW = new Date('2030-01-15T12:00:00Z');
const HOUR = 60 * 60_000;
const identity = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web' };
const ca = createCa({ trustDomain: 'cluster.local', now: NOW });
// Same name, same trust domain, different key: only the signature tells them apart.
const impostorCa = createCa({ trustDomain: 'cluster.local', now: NOW });
const keyPair = generateKeyPair();
const leaf = issueLeaf({ ca, identity, now: NOW, keyPair });
const impostorLeaf = issueLeaf({ ca: impostorCa, identity, now: NOW, keyPair });
const notAfter = new X509Certificate(leaf.certPem).validToDate;
const at = (ms: number) => new Date(NOW.getTime() + ms);

const cases: Array<[name: string, leafPem: string, bundle: string[], now: Date, reason: RegExp | undefined]> = [
  ['a leaf of the trusted CA', leaf.certPem, [ca.certPem], NOW, undefined],
  ['one minute after issue', leaf.certPem, [ca.certPem], at(60_000), undefined],
  ['the last second of its validity', leaf.certPem, [ca.certPem], notAfter, undefined],
  ['a bundle holding old and new CA in one PEM', leaf.certPem, [impostorCa.certPem + ca.certPem], NOW, undefined],
  ['a bundle of two entries', leaf.certPem, [impostorCa.certPem, ca.certPem], NOW, undefined],
  ['a leaf of another CA with the same name', impostorLeaf.certPem, [ca.certPem], NOW, /not signed by any CA in the trust bundle/],
  ['an expired leaf', leaf.certPem, [ca.certPem], at(24 * HOUR + 1000), /certificate expired at 2030-01-16T12:00:00\.000Z/],
  ['a leaf not valid yet', leaf.certPem, [ca.certPem], at(-10 * 60_000), /not valid until 2030-01-15T11:55:00\.000Z/],
  ['a CA presented as a leaf', ca.certPem, [ca.certPem], NOW, /is a CA certificate, not a leaf/],
  ['an empty bundle', leaf.certPem, [], NOW, /trust bundle is empty/],
  ['a leaf that is not PEM', 'garbage', [ca.certPem], NOW, /leaf certificate is not a PEM X\.509 certificate/],
  ['a bundle entry that is not PEM', leaf.certPem, ['garbage'], NOW, /trust bundle certificate is not a PEM/],
  ['a leaf used as trust anchor', issueLeaf({ ca, identity, now: NOW, keyPair }).certPem, [leaf.certPem], NOW, /not signed by any CA/],
];

for (const [name, leafPem, bundle, now, reason] of cases) {
  test(`verifyLeaf: ${name}`, () => {
    const result = verifyLeaf(leafPem, bundle, now);
    if (reason === undefined) assert.deepEqual(result, { ok: true });
    else {
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    }
  });
}

// The proxy parses its bundle once per identity and checks each handshake's certificate against
// it: the two-step form must reach the same verdict as verifyLeaf in every case above.
for (const [name, leafPem, bundle, now] of cases.filter(([, leafPem]) => leafPem !== 'garbage')) {
  test(`parseTrustBundle + verifyLeafCertificate agree with verifyLeaf: ${name}`, () => {
    const parsed = parseTrustBundle(bundle);
    const twoStep = parsed.ok ? verifyLeafCertificate(new X509Certificate(leafPem), parsed.cas, now) : parsed;
    assert.deepEqual(twoStep, verifyLeaf(leafPem, bundle, now));
  });
}

test('verifyLeaf refuses a leaf whose only issuer has expired', () => {
  // A leaf from a CA that was later re-issued with a short life (same key, same name).
  const caKeys = generateKeyPair();
  const longCa = createCa({ trustDomain: 'cluster.local', commonName: 'rolled', validityDays: 30, now: NOW, keyPair: caKeys });
  const shortCa = createCa({ trustDomain: 'cluster.local', commonName: 'rolled', validityDays: 1, now: NOW, keyPair: caKeys });
  const longLeaf = issueLeaf({ ca: longCa, identity, validityHours: 72, now: NOW, keyPair });
  const result = verifyLeaf(longLeaf.certPem, [shortCa.certPem], at(48 * HOUR));
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.reason, /issuing CA expired at 2030-01-16T12:00:00\.000Z/);
  assert.deepEqual(verifyLeaf(longLeaf.certPem, [shortCa.certPem, longCa.certPem], at(48 * HOUR)), { ok: true });
});

test('verifyLeaf defaults to the current time', () => {
  const result = verifyLeaf(leaf.certPem, [ca.certPem]); // issued for 2030
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.reason, /not valid until 2030/);
  const freshCa = createCa({ trustDomain: 'cluster.local' });
  assert.deepEqual(verifyLeaf(issueLeaf({ ca: freshCa, identity, keyPair }).certPem, [freshCa.certPem]), { ok: true });
});
