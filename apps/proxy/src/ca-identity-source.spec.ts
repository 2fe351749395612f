// The `ca` identity source against a real `outrigger-injector ca-signer` process (spawned: apps never
// import apps) and a local TokenReview server: the first certificate, renewal before expiry, and a
// signer that goes away and comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { freePort, run, start, startFakeTokenReview, waitFor, withTempDir, type FakeTokenReview, type Started } from '@outrigger/testing';
import { CaIdentityError, startCaIdentity, type CaSourceOptions } from './ca-identity-source.ts';
import type { LoadedIdentity } from './identity.ts';

const INJECTOR = join(import.meta.dirname, '..', '..', 'injector', 'src', 'main.ts');
const web = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web' };
const WEB_ID = 'spiffe://cluster.local/ns/shop/sa/web';

interface Mesh {
  dir: string;
  api: FakeTokenReview;
  port: number;
  startSigner(validitySeconds: number): Promise<Started>;
  options(extra?: Partial<CaSourceOptions>): CaSourceOptions & { errors: Error[] };
}

async function withMesh(fn: (mesh: Mesh) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    assert.equal((await run(process.execPath, [INJECTOR, 'ca', 'init', '--dir', join(dir, 'ca')])).code, 0);
    const api = await startFakeTokenReview(dir, {
      'web-token': { user: 'system:serviceaccount:shop:web', audiences: ['outrigger'] },
      'web-token-rotated': { user: 'system:serviceaccount:shop:web', audiences: ['outrigger'] },
      'a-token': { user: 'system:serviceaccount:shop:a', audiences: ['outrigger'] },
    });
    writeFileSync(join(dir, 'token'), 'web-token\n');
    const port = await freePort();
    const signers: Started[] = [];
    const startSigner = async (validitySeconds: number) => {
      const proc = start(process.execPath, [INJECTOR, 'ca-signer', '--ca-dir', join(dir, 'ca'), '--listen', `127.0.0.1:${port}`, '--ip', '127.0.0.1',
        '--kube-api', api.url, '--kube-token-file', api.tokenFile, '--kube-ca-file', api.caFile, '--validity-seconds', String(validitySeconds)]);
      signers.push(proc);
      await proc.waitForLine(/"msg":"listening"/, 15_000);
      return proc;
    };
    const options = (extra: Partial<CaSourceOptions> = {}) => {
      const errors: Error[] = [];
      return {
        caAddress: `https://127.0.0.1:${port}`,
        tokenFile: join(dir, 'token'),
        caBundleFile: join(dir, 'ca', 'ca.crt'),
        identity: web,
        retry: { initialMs: 100, maxMs: 400 },
        onError: (err: Error) => void errors.push(err),
        errors,
        ...extra,
      };
    };
    try {
      await fn({ dir, api, port, startSigner, options });
    } finally {
      for (const proc of signers) await proc.stop();
      await api.close();
    }
  });
}

/** A mutual-TLS handshake between two copies of the identity: proof that key, cert and bundle fit. */
async function handshake(identity: LoadedIdentity): Promise<string | undefined> {
  const server = createServer({ ...identity.contextOptions, requestCert: true, rejectUnauthorized: true }, (s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise((resolve, reject) => {
      const socket = connect({ ...identity.contextOptions, port: (server.address() as AddressInfo).port, host: '127.0.0.1', checkServerIdentity: () => undefined }, () => {
        resolve(socket.getPeerX509Certificate()?.subjectAltName);
        socket.end();
      }).on('error', reject);
    });
  } finally {
    server.close();
  }
}

test('the first certificate carries the workload identity, with a key that never left memory', async () => {
  await withMesh(async ({ dir, api, startSigner, options }) => {
    await startSigner(3600);
    const opts = options();
    const source = await startCaIdentity(opts);
    try {
      const identity = source.current();
      assert.equal(identity.certificate.spiffeId, WEB_ID);
      assert.equal(identity.contextOptions.minVersion, 'TLSv1.2');
      assert.equal(identity.contextOptions.ca, readFileSync(join(dir, 'ca', 'ca.crt'), 'utf8'), 'the mesh bundle is the one the signer returned');
      assert.match(String(identity.contextOptions.key), /^-----BEGIN PRIVATE KEY-----/);
      assert.equal(await handshake(identity), `URI:${WEB_ID}`);
      const lifetime = identity.certificate.notAfter.getTime() - Date.now();
      assert.ok(lifetime > 3500_000 && lifetime <= 3600_000, `lifetime ${lifetime}`);
      assert.deepEqual((api.requests.at(-1)?.body as { spec: unknown }).spec, { token: 'web-token', audiences: ['outrigger'] });
      assert.deepEqual(opts.errors, []);
    } finally {
      source.close();
    }
  });
});

test('renewal: a new certificate, key and serial before the old one expires, listeners told, token re-read', async () => {
  await withMesh(async ({ api, startSigner, options }) => {
    await startSigner(4);
    const source = await startCaIdentity(options());
    try {
      const first = source.current();
      const changes: LoadedIdentity[] = [];
      source.onChange((next) => changes.push(next));
      writeFileSync(options().tokenFile, 'web-token-rotated\n'); // the kubelet rotated the projected token
      const next = await waitFor(() => changes[0], 'a renewal', 10_000);
      assert.ok(Date.now() < first.certificate.notAfter.getTime(), 'renewed before the old certificate expired');
      assert.notEqual(next.certificate.serialNumber, first.certificate.serialNumber);
      assert.notEqual(next.contextOptions.key, first.contextOptions.key, 'a fresh key per certificate');
      assert.equal(next.certificate.spiffeId, WEB_ID);
      assert.equal(source.current(), next);
      assert.equal((api.requests.at(-1)?.body as { spec: { token: string } }).spec.token, 'web-token-rotated');
      await waitFor(() => changes.length >= 2, 'a second renewal', 10_000);
    } finally {
      source.close();
    }
  });
});

test('an unreachable signer: the identity in use stays, retries back off, and renewal resumes when it returns', async () => {
  await withMesh(async ({ startSigner, options }) => {
    const signer = await startSigner(3);
    const opts = options();
    const source = await startCaIdentity(opts);
    try {
      const first = source.current();
      const changes: LoadedIdentity[] = [];
      source.onChange((next) => changes.push(next));
      await signer.stop();
      await waitFor(() => opts.errors.length >= 3, 'three failed renewals', 10_000);
      assert.equal(source.current(), first, 'the old identity is kept');
      assert.equal(changes.length, 0);
      assert.ok(opts.errors.every((e) => e instanceof CaIdentityError));
      assert.match(opts.errors[0]?.message ?? '', /^certificate renewal from https:\/\/127\.0\.0\.1:\d+ failed; (keeping the current certificate|the current certificate expired).*retrying in \d+ ms: cannot reach the CA signer .*ECONNREFUSED/);
      await startSigner(3600);
      const next = await waitFor(() => changes[0], 'renewal after the signer came back', 10_000);
      assert.notEqual(next.certificate.serialNumber, first.certificate.serialNumber);
      assert.equal(source.current(), next);
    } finally {
      source.close();
    }
  });
});

test('no first certificate within the deadline rejects, naming the signer; refusals are reported as they come', async () => {
  await withMesh(async ({ dir, port, startSigner, options }) => {
    const down = options({ startTimeoutMs: 800 });
    await assert.rejects(startCaIdentity(down), (err: unknown) => {
      assert.ok(err instanceof CaIdentityError);
      assert.match(err.message, new RegExp(`^cannot get a certificate for ${WEB_ID} from the CA signer at https://127\\.0\\.0\\.1:${port} within 800 ms \\(\\d+ attempts\\): cannot reach`));
      return true;
    });
    assert.ok(down.errors.length >= 1, 'each failed attempt is reported');

    await startSigner(3600);
    writeFileSync(join(dir, 'token'), 'a-token\n'); // a token for ServiceAccount a, asking for web
    // A generous deadline: on a loaded machine the first request alone can take a while, and the
    // point here is the refusal's message, not the deadline.
    await assert.rejects(startCaIdentity(options({ startTimeoutMs: 3_000 })), /refused the certificate request \(HTTP 403 identity_mismatch\)/);
    await assert.rejects(startCaIdentity(options({ renewAt: 0.95, jitter: 0.1 })), /jitter must be at least 0/);
  });
});
