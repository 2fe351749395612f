// buildIdentity, shared by the files and ca sources, and the file-naming errors loadIdentityFiles
// builds on top of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, issueLeaf } from '@outrigger/pki';
import { withTempDir } from '@outrigger/testing';
import { buildIdentity, IdentityError, IdentityMaterialError, loadIdentityFiles } from './identity.ts';

const ca = createCa({ trustDomain: 'cluster.local' });
const leaf = issueLeaf({ ca, identity: { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web' } });
const other = issueLeaf({ ca, identity: { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'other' } });

test('buildIdentity makes the TLS options, the context, the description and the bundle fingerprint', () => {
  const identity = buildIdentity(leaf.certPem, leaf.keyPem, ca.certPem);
  assert.deepEqual(identity.contextOptions, { cert: leaf.certPem, key: leaf.keyPem, ca: ca.certPem, minVersion: 'TLSv1.2' });
  assert.equal(identity.certificate.spiffeId, 'spiffe://cluster.local/ns/shop/sa/web');
  assert.match(identity.bundleFingerprint, /^[0-9a-f]{16}$/);
  assert.notEqual(identity.bundleFingerprint, buildIdentity(leaf.certPem, leaf.keyPem, undefined).bundleFingerprint);
  assert.ok(identity.secureContext);
});

test('buildIdentity says which part was refused', () => {
  assert.throws(() => buildIdentity('-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n', leaf.keyPem, undefined),
    (err: unknown) => err instanceof IdentityMaterialError && err.problem === 'unreadable-certificate' && /^not a valid certificate: /.test(err.message));
  assert.throws(() => buildIdentity(leaf.certPem, other.keyPem, undefined),
    (err: unknown) => err instanceof IdentityMaterialError && err.problem === 'key' && /^TLS rejected the identity: .*key values mismatch/.test(err.message));
});

test('loadIdentityFiles names the file at fault, as before', async () => {
  await withTempDir(async (dir) => {
    const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), trustBundleFile: join(dir, 'ca.crt') };
    writeFileSync(files.certFile, leaf.certPem);
    writeFileSync(files.keyFile, other.keyPem);
    writeFileSync(files.trustBundleFile, ca.certPem);
    assert.throws(() => loadIdentityFiles(files), (err: unknown) =>
      err instanceof IdentityError && err.file === files.keyFile && err.message.startsWith(`${files.keyFile}: TLS rejected the identity files: `));
    writeFileSync(files.keyFile, leaf.keyPem);
    assert.equal(loadIdentityFiles(files).certificate.spiffeId, 'spiffe://cluster.local/ns/shop/sa/web');
    writeFileSync(files.certFile, '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n');
    assert.throws(() => loadIdentityFiles(files), (err: unknown) =>
      err instanceof IdentityError && err.file === files.certFile && /: not a valid certificate: /.test(err.message));
  });
});
