// `manifests`: the install as a readable golden (fixed placeholder PEMs; UPDATE_GOLDEN=1 rewrites
// testdata/manifests.yaml), and as the real command prints it, every object validated against the
// Kubernetes schema, the webhook configuration wired to the CA and the Service that serve it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkGolden, run, withTempDir } from '@outrigger/testing';
import { parseAllDocuments } from 'yaml';
import { renderYaml } from './manifests-command.ts';
import { parseMeshConfig } from './mesh-config.ts';
import { renderManifests } from './render-manifests.ts';
import { validateObject } from './testdata/validate-object.ts';

const MAIN = join(import.meta.dirname, 'main.ts');
type Obj = Record<string, any>;

test('golden: the install with placeholder keys', () => {
  const objects = renderManifests({
    namespace: 'outrigger-system',
    image: 'ghcr.io/outrigger/outrigger:0.1.0',
    imagePullPolicy: undefined,
    sidecar: 'native',
    ipv6: false,
    replicas: 2,
    caCertPem: '-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n',
    caKeyPem: '-----BEGIN PRIVATE KEY-----\nplaceholder\n-----END PRIVATE KEY-----\n',
    meshConfigYaml: 'identity:\n  source: ca\nmesh:\n  trustDomain: cluster.local\n',
  });
  checkGolden(join(import.meta.dirname, 'testdata'), 'manifests.yaml', `${renderYaml(objects)}\n`);
  for (const object of objects) assert.doesNotThrow(() => validateObject(object), object.kind);
});

test('manifests --ca-dir: every object validates; the webhook trusts the CA, reaches the Service, never blocks a pod', async () => {
  await withTempDir(async (dir) => {
    assert.equal((await run(process.execPath, [MAIN, 'ca', 'init', '--dir', join(dir, 'ca')])).code, 0);
    const r = await run(process.execPath, [MAIN, 'manifests', '--ca-dir', join(dir, 'ca'), '--mesh-network', '10.244.0.0/16', '--image', 'registry.example/outrigger:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warning with --ca-dir');
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
    assert.deepEqual(objects.map((o) => o.kind), ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Secret', 'ConfigMap', 'Service', 'Service',
      'Deployment', 'PodDisruptionBudget', 'MutatingWebhookConfiguration']);
    for (const object of objects) assert.doesNotThrow(() => validateObject(object), object.kind);
    const byKind = (kind: string) => objects.find((o) => o.kind === kind) as Obj;

    const caPem = readFileSync(join(dir, 'ca', 'ca.crt'), 'utf8');
    const hook = byKind('MutatingWebhookConfiguration').webhooks[0] as Obj;
    assert.equal(Buffer.from(hook.clientConfig.caBundle as string, 'base64').toString('utf8'), caPem);
    assert.deepEqual(hook.clientConfig.service, { name: 'outrigger-injector', namespace: 'outrigger-system', path: '/inject', port: 443 });
    assert.deepEqual([hook.failurePolicy, hook.sideEffects, hook.timeoutSeconds, hook.admissionReviewVersions], ['Ignore', 'None', 10, ['v1']]);
    assert.deepEqual(hook.namespaceSelector.matchExpressions[0], { key: 'outrigger.io/inject', operator: 'In', values: ['enabled'] });
    assert.ok((hook.namespaceSelector.matchExpressions[1].values as string[]).includes('kube-system'));
    assert.match(r.stdout, /# failurePolicy Ignore: a pod is never refused/);

    const secret = byKind('Secret');
    assert.equal(Buffer.from(secret.data['ca.crt'] as string, 'base64').toString('utf8'), caPem);
    assert.equal(Buffer.from(secret.data['ca.key'] as string, 'base64').toString('utf8'), readFileSync(join(dir, 'ca', 'ca.key'), 'utf8'));
    // Least privilege: one verb on one resource.
    assert.deepEqual(byKind('ClusterRole').rules, [{ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] }]);
    const mesh = parseMeshConfig(byKind('ConfigMap').data['proxy.yaml'] as string);
    assert.ok(mesh.ok, JSON.stringify(mesh));
    assert.deepEqual(mesh.mesh.mesh, { trustDomain: 'cluster.local', networks: ['10.244.0.0/16'] });

    const container = byKind('Deployment').spec.template.spec.containers[0] as Obj;
    assert.deepEqual(container.args.slice(0, 9), ['webhook', '--ca-dir', '/var/run/outrigger/ca', '--mesh-config', '/etc/outrigger/mesh/proxy.yaml', '--namespace', 'outrigger-system', '--image', 'registry.example/outrigger:1']);
    const services = objects.filter((o) => o.kind === 'Service').map((s) => [s.metadata.name, s.spec.ports[0].port]);
    assert.deepEqual(services, [['outrigger-injector', 443], ['outrigger-ca', 15012]]);
  });
});

test('manifests without --ca-dir makes a CA and says why that is risky; bad flags name themselves', async () => {
  const r = await run(process.execPath, [MAIN, 'manifests', '--replicas', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^manifests: made a new mesh CA for cluster\.local; .*--ca-dir DIR\n$/);
  assert.ok(!r.stdout.includes('PodDisruptionBudget'), 'no PDB for a single replica');
  const bad = await run(process.execPath, [MAIN, 'manifests', '--mesh-network', '10.0.0.0']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^manifests: --mesh-network "10\.0\.0\.0" is not a CIDR/);
});
