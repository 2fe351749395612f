// The `ca` identity source end to end, as a pod would run it: `outrigger-injector ca-signer` with a
// local TokenReview stand-in (no API server can run here), and outrigger-proxy configured with
// `identity.source: ca` getting its certificate over a CSR and serving mutual TLS with it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { issueLeaf } from '@outrigger/pki';
import { freePort, run, start, startFakeTokenReview, type FakeTokenReview, type Started } from '@outrigger/testing';

const root = resolve(import.meta.dirname, '..', '..');
const INJECTOR = join(root, 'apps', 'injector', 'src', 'main.ts');
const PROXY = join(root, 'apps', 'proxy', 'src', 'main.ts');

let dir: string;
let api: FakeTokenReview;
let signer: Started;
let proxy: Started;
const app = createServer((_req, res) => res.end('hello from the app'));
let ports = { admin: 0, mtls: 0 };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outrigger-ca-e2e-'));
  api = await startFakeTokenReview(dir, { 'web-token': { user: 'system:serviceaccount:shop:web', audiences: ['outrigger'] } });
  const init = await run(process.execPath, [INJECTOR, 'ca', 'init', '--dir', join(dir, 'ca')]);
  assert.equal(init.code, 0, init.stderr);
  const signerPort = await freePort();
  signer = start(process.execPath, [INJECTOR, 'ca-signer', '--ca-dir', join(dir, 'ca'), '--listen', `127.0.0.1:${signerPort}`, '--ip', '127.0.0.1',
    '--kube-api', api.url, '--kube-token-file', api.tokenFile, '--kube-ca-file', api.caFile]);
  await signer.waitForLine(/"msg":"listening"/, 15_000);
  writeFileSync(join(dir, 'token'), 'web-token\n');
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  writeFileSync(join(dir, 'proxy.yaml'), `admin: { address: 127.0.0.1, port: 0 }
identity: { source: ca, caAddress: "https://127.0.0.1:${signerPort}", tokenFile: token, caBundleFile: ca/ca.crt, namespace: shop, serviceAccount: web }
listeners:
  - { name: mtls, address: 127.0.0.1, port: 0, tls: mutual, upstream: "127.0.0.1:${(app.address() as AddressInfo).port}" }
accessLog: { stdout: false }
`);
  proxy = start(process.execPath, [PROXY, '--config', join(dir, 'proxy.yaml')]);
  const ready = JSON.parse(await proxy.waitForLine(/"msg":"ready"/, 30_000)) as { listeners: Array<{ port: number }>; admin: { port: number } };
  ports = { admin: ready.admin.port, mtls: ready.listeners[0]?.port ?? 0 };
});

after(async () => {
  await proxy?.stop();
  await signer?.stop();
  await api?.close();
  app.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the proxy obtained its certificate from the CA signer for exactly its ServiceAccount', async () => {
  const certs = (await (await fetch(`http://127.0.0.1:${ports.admin}/certs`)).json()) as { identity: string; certificate: { notAfter: string } };
  assert.equal(certs.identity, 'spiffe://cluster.local/ns/shop/sa/web');
  const hours = (Date.parse(certs.certificate.notAfter) - Date.now()) / 3_600_000;
  assert.ok(hours > 23 && hours <= 24.1, `a 24 h certificate (${hours.toFixed(2)} h left)`);
  const review = api.requests.at(-1);
  assert.deepEqual((review?.body as { spec: { audiences: string[] } }).spec.audiences, ['outrigger']);
});

test('a mesh client of the same CA gets through the mutual TLS it serves with that certificate', async () => {
  const caPem = readFileSync(join(dir, 'ca', 'ca.crt'), 'utf8');
  const ca = { certPem: caPem, keyPem: readFileSync(join(dir, 'ca', 'ca.key'), 'utf8') };
  const client = issueLeaf({ ca, identity: { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'client' } });
  writeFileSync(join(dir, 'client.crt'), client.certPem);
  writeFileSync(join(dir, 'client.key'), client.keyPem);
  // -k: a workload certificate names a SPIFFE ID, not a host name curl could check; the proxy
  // still verifies the client's certificate, which is what this test is about.
  const r = await run('curl', ['-sS', '--max-time', '10', '-k', '--cert', join(dir, 'client.crt'), '--key', join(dir, 'client.key'), `https://127.0.0.1:${ports.mtls}/`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello from the app');
});
