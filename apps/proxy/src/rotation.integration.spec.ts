// Certificate rotation under continuous load: the identity files are replaced the way the kubelet
// updates a mounted volume (a new ..data folder swapped in by symlink) every second, with
// certificates that live for seconds; thousands of requests, on new and on kept-alive connections,
// must all succeed, and the newest certificate must be the one served afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'node:https';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createCa, describeCertificate, issueLeaf, type CertificateBundle } from '@outrigger/pki';
import { run, start, waitFor, type Started } from '@outrigger/testing';

const MAIN = resolve(import.meta.dirname, 'main.ts');
const ROTATIONS = 4;
const REQUESTS = 3000;

let dir: string;
let proxy: Started;
let port = 0;
let adminPort = 0;
const ca = createCa({ trustDomain: 'cluster.local' });
const client = issueLeaf({ ca, identity: { trustDomain: 'cluster.local', namespace: 'demo', serviceAccount: 'client' } });
const app = createServer((_req, res) => res.end('ok'));
let generation = 0;

/** Writes a new server certificate the kubelet way: files in a fresh folder, then ..data swapped. */
function rotate(): CertificateBundle {
  const leaf = issueLeaf({ ca, identity: { trustDomain: 'cluster.local', namespace: 'demo', serviceAccount: 'server' }, dnsNames: ['localhost'], validityHours: 8 / 3600 + 5 / 60 });
  const folder = join(dir, 'identity', `..gen${++generation}`);
  mkdirSync(folder);
  writeFileSync(join(folder, 'tls.crt'), leaf.certPem);
  writeFileSync(join(folder, 'tls.key'), leaf.keyPem);
  writeFileSync(join(folder, 'ca.crt'), ca.certPem);
  symlinkSync(`..gen${generation}`, join(dir, 'identity', '..data_tmp'));
  renameSync(join(dir, 'identity', '..data_tmp'), join(dir, 'identity', '..data'));
  return leaf;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outrigger-rotation-'));
  mkdirSync(join(dir, 'identity'));
  writeFileSync(join(dir, 'client.crt'), client.certPem);
  writeFileSync(join(dir, 'client.key'), client.keyPem);
  rotate();
  for (const name of ['tls.crt', 'tls.key', 'ca.crt']) symlinkSync(join('..data', name), join(dir, 'identity', name));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  writeFileSync(
    join(dir, 'proxy.yaml'),
    `admin: { address: 127.0.0.1, port: 0 }
identity: { certFile: identity/tls.crt, keyFile: identity/tls.key, trustBundleFile: identity/ca.crt }
listeners:
  - { name: web, address: 127.0.0.1, port: 0, tls: mutual, upstream: "127.0.0.1:${(app.address() as AddressInfo).port}", protocol: http }
accessLog: { stdout: true }
timeouts: { identityPoll: 500ms }
`,
  );
  proxy = start(process.execPath, [MAIN, '--config', join(dir, 'proxy.yaml')], { env: { ...process.env } });
  const ready = JSON.parse(await proxy.waitForLine(/"msg":"ready"/)) as { listeners: Array<{ port: number }>; admin: { port: number } };
  port = ready.listeners[0]?.port ?? 0;
  adminPort = ready.admin.port;
});

after(async () => {
  await proxy?.stop();
  app.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(agent: Agent): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, path: '/', agent, ca: ca.certPem, cert: client.certPem, key: client.keyPem, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolvePromise(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test(`${REQUESTS} requests across ${ROTATIONS} rotations: none fails, and the newest certificate is served`, async () => {
  const kept = new Agent({ keepAlive: true, maxSockets: 4 }); // live connections must survive rotations
  const fresh = new Agent({ keepAlive: false }); // every request a new handshake, with whatever is current
  let failures = 0;
  let done = 0;
  const errors: string[] = [];
  let last: CertificateBundle | undefined;
  const rotations = (async () => {
    for (let i = 0; i < ROTATIONS; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      last = rotate();
    }
  })();
  const worker = async (agent: Agent) => {
    while (done < REQUESTS) {
      done++;
      try {
        const status = await get(agent);
        if (status !== 200) failures++;
      } catch (err) {
        failures++;
        if (errors.length < 5) errors.push((err as Error).message);
      }
    }
  };
  await Promise.all([rotations, worker(kept), worker(kept), worker(fresh), worker(fresh)]);
  kept.destroy();
  const reasons = (await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text()).split('\n').filter((l) => l.startsWith('outrigger_tls_handshake_errors_total'));
  assert.equal(failures, 0, `${reasons.join('\n')}\n` + `${errors.join('; ')}\nproxy stdout:\n${proxy.stdout().split('\n').filter((l) => l.includes('error":"')).slice(0, 3).join('\n')}`);
  assert.ok(last);
  const expected = describeCertificate(last.certPem).serialNumber.toUpperCase().replace(/^0+/, '');
  // A new connection after the last rotation is served the newest certificate.
  const served = await waitFor(async () => {
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-cert', join(dir, 'client.crt'), '-key', join(dir, 'client.key')], { input: '' });
    const x = await run('openssl', ['x509', '-noout', '-serial'], { input: r.stdout });
    const serial = x.stdout.trim().replace(/^serial=/, '').replace(/^0+/, '');
    return serial === expected ? serial : undefined;
  }, 'the newest serial to be served', 5000);
  assert.equal(served, expected);
  const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const gauge = metrics.split('\n').find((l) => l.startsWith('outrigger_identity_cert_expiration_timestamp_seconds '));
  assert.equal(Number(gauge?.split(' ')[1]), Math.floor(describeCertificate(last.certPem).notAfter.getTime() / 1000));
});
