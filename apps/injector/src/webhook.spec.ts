// `webhook` as the API server meets it: a real process on loopback HTTPS, asked by curl with the
// AdmissionReview JSON the API server sends, its certificate checked against the mesh CA under the
// Service's DNS name. Bad bodies get a 400 and the server lives on; the CA signer answers too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatch, injectPod, INJECT_LABEL, type PatchOperation, type PodLike } from '@outrigger/inject';
import { run, start, startFakeTokenReview, withTempDir } from '@outrigger/testing';
import { toInjectConfig, readInjectSettings } from './inject-flags.ts';

const MAIN = join(import.meta.dirname, 'main.ts');
const HOST = 'outrigger-injector.outrigger-system.svc';

const pod: PodLike = {
  metadata: { generateName: 'web-7d4b9c8f5-', namespace: 'shop', labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'web:1', readinessProbe: { httpGet: { path: '/ready', port: 8080 } } }] },
};

function review(uid: string, object: unknown): object {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object,
      oldObject: null,
      dryRun: false,
    },
  };
}

test('the webhook answers AdmissionReviews over HTTPS, refuses bad bodies with 400 and lives on', async () => {
  await withTempDir(async (dir) => {
    assert.equal((await run(process.execPath, [MAIN, 'ca', 'init', '--dir', join(dir, 'ca')])).code, 0);
    const api = await startFakeTokenReview(dir);
    const proc = start(process.execPath, [MAIN, 'webhook', '--ca-dir', join(dir, 'ca'), '--listen', '127.0.0.1:0', '--signer-listen', '127.0.0.1:0',
      '--kube-api', api.url, '--kube-token-file', api.tokenFile, '--kube-ca-file', api.caFile, '--image', 'registry.example/outrigger:test']);
    try {
      const webhookLine = await proc.waitForLine(/"component":"webhook".*"msg":"listening"/, 15_000);
      const signerLine = await proc.waitForLine(/"component":"ca-signer".*"msg":"listening"/, 15_000);
      const { port } = JSON.parse(webhookLine) as { port: number };
      const signerPort = (JSON.parse(signerLine) as { port: number }).port;
      let n = 0;
      // The certificate must hold for the Service name the API server dials.
      const curl = async (path: string, body?: string, extra: string[] = []) => {
        const args = ['-sS', '--cacert', join(dir, 'ca', 'ca.crt'), '--resolve', `${HOST}:${port}:127.0.0.1`, '-w', '\n%{http_code}', ...extra];
        if (body !== undefined) {
          const file = join(dir, `body-${n++}.json`);
          writeFileSync(file, body);
          args.push('-X', 'POST', '-H', 'content-type: application/json', '--data-binary', `@${file}`);
        }
        const r = await run('curl', [...args, `https://${HOST}:${port}${path}`]);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.split('\n');
        return { status: Number(lines.pop()), body: lines.join('\n') };
      };

      const answer = await curl('/inject', JSON.stringify(review('0a1b2c3d-1111-4222-8333-444455556666', pod)));
      assert.equal(answer.status, 200, answer.body);
      const { response } = JSON.parse(answer.body) as { response: { uid: string; allowed: boolean; patchType: string; patch: string } };
      assert.equal(response.uid, '0a1b2c3d-1111-4222-8333-444455556666');
      assert.equal(response.allowed, true);
      assert.equal(response.patchType, 'JSONPatch');
      const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as PatchOperation[];
      const caPem = readFileSync(join(dir, 'ca', 'ca.crt'), 'utf8');
      const config = toInjectConfig(readInjectSettings('test', { image: 'registry.example/outrigger:test' }), undefined, caPem);
      const expected = injectPod(pod, { namespace: 'shop', namespaceLabels: { [INJECT_LABEL]: 'enabled' }, config }).pod;
      assert.deepEqual(applyPatch(pod, ops), JSON.parse(JSON.stringify(expected)), 'the patch turns the pod into injectPod\'s');

      const skipped = await curl('/inject', JSON.stringify(review('uid-2', { ...pod, spec: { ...pod.spec, hostNetwork: true } })));
      assert.deepEqual(JSON.parse(skipped.body), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'uid-2', allowed: true } });

      const malformed = await curl('/inject', '{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": ');
      assert.equal(malformed.status, 400);
      assert.equal((JSON.parse(malformed.body) as { error: string }).error, 'bad_request');
      const oversized = await curl('/inject', JSON.stringify(review('uid-3', { ...pod, metadata: { annotations: { big: 'x'.repeat(3.2 * 1024 * 1024) } } })));
      assert.equal(oversized.status, 400);
      assert.match(oversized.body, /larger than 3 MiB/);
      assert.equal((await curl('/inject')).status, 405);
      assert.equal((await curl('/mutate', '{}')).status, 404);
      assert.equal((await curl('/healthz')).status, 200, 'alive after every bad request');

      const metrics = (await curl('/metrics')).body;
      assert.match(metrics, /outrigger_injector_admission_reviews_total\{result="injected",reason="native"\} 1/);
      assert.match(metrics, /outrigger_injector_admission_reviews_total\{result="skipped",reason="host_network"\} 1/);
      assert.match(metrics, /outrigger_injector_admission_reviews_total\{result="bad_request",reason="malformed"\} 1/);
      assert.match(metrics, /outrigger_injector_admission_reviews_total\{result="bad_request",reason="too_large"\} 1/);

      // The CA signer of the same process, on its own port, with the same certificate.
      const signer = await run('curl', ['-sS', '--cacert', join(dir, 'ca', 'ca.crt'), '--resolve', `outrigger-ca.outrigger-system.svc:${signerPort}:127.0.0.1`,
        `https://outrigger-ca.outrigger-system.svc:${signerPort}/healthz`]);
      assert.equal(signer.stdout.trim(), '{"status":"ok"}', signer.stderr);
      await proc.waitForLine(/"uid":"0a1b2c3d-1111-4222-8333-444455556666".*"result":"injected"/, 10_000);
      assert.doesNotMatch(proc.stderr(), /xxxxxxxx/, 'request bodies are never logged');
    } finally {
      const stopped = await proc.stop();
      await api.close();
      assert.equal(stopped.code, 0, proc.stderr());
    }
  });
});

test('a mesh config the proxy would refuse stops the webhook at start, naming the key', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'mesh.yaml'), 'mesh:\n  trustDomian: cluster.local\n');
    const r = await run(process.execPath, [MAIN, 'webhook', '--ca-dir', join(dir, 'ca'), '--mesh-config', join(dir, 'mesh.yaml'), '--kube-api', 'https://127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid mesh config .*mesh\.yaml:\n {2}mesh\.trustDomian: unknown key \(did you mean "trustDomain"\?\)/);
    const bad = await run(process.execPath, [MAIN, 'webhook', '--ca-dir', dir, '--sidecar', 'sidecar', '--kube-api', 'https://127.0.0.1:1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^webhook: --sidecar must be native or legacy/);
  });
});

test('without --mesh-config, pods injected by a webhook in another namespace reach that namespace\'s CA signer', async () => {
  await withTempDir(async (dir) => {
    assert.equal((await run(process.execPath, [MAIN, 'ca', 'init', '--dir', join(dir, 'ca'), '--trust-domain', 'corp.example'])).code, 0);
    const api = await startFakeTokenReview(dir);
    const proc = start(process.execPath, [MAIN, 'webhook', '--ca-dir', join(dir, 'ca'), '--namespace', 'mesh-sys', '--listen', '127.0.0.1:0', '--signer-listen', '127.0.0.1:0',
      '--kube-api', api.url, '--kube-token-file', api.tokenFile, '--kube-ca-file', api.caFile]);
    try {
      const { port } = JSON.parse(await proc.waitForLine(/"component":"webhook".*"msg":"listening"/, 15_000)) as { port: number };
      const host = 'outrigger-injector.mesh-sys.svc';
      const body = join(dir, 'review.json');
      writeFileSync(body, JSON.stringify(review('uid-ns', pod)));
      const r = await run('curl', ['-sS', '--cacert', join(dir, 'ca', 'ca.crt'), '--resolve', `${host}:${port}:127.0.0.1`, '-X', 'POST', '-H', 'content-type: application/json',
        '--data-binary', `@${body}`, `https://${host}:${port}/inject`]);
      assert.equal(r.code, 0, r.stderr);
      const { response } = JSON.parse(r.stdout) as { response: { patch: string } };
      const patched = JSON.stringify(applyPatch(pod, JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as PatchOperation[]));
      assert.match(patched, /caAddress: https:\/\/outrigger-ca\.mesh-sys\.svc:15012/);
      assert.match(patched, /trustDomain: corp\.example/);
      assert.doesNotMatch(patched, /outrigger-system/);
    } finally {
      await proc.stop();
      await api.close();
    }
  });
});
