// The AdmissionReview mapping as the API server exercises it: the uid echoed, a base64 JSONPatch
// that turns the pod into injectPod's, allowed:true with no patch for what we skip or ignore,
// and allowed:true with a warning (never a refusal) when injection itself fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAdmissionReview, planAdmissionResponse } from './admission.ts';
import { defaultInjectConfig, type InjectConfig } from './inject-config.ts';
import { injectPod } from './inject-pod.ts';
import { applyPatch, type PatchOperation } from './json-patch.ts';
import { INJECT_LABEL } from './names.ts';
import { injectWorkload } from './inject-workload.ts';

const config = defaultInjectConfig('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } };

function review(overrides: Record<string, unknown> = {}, object: unknown = pod): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
      ...overrides,
    },
  });
}

function answer(body: string, cfg: InjectConfig = config) {
  const parsed = parseAdmissionReview(body);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const { review: out, outcome } = planAdmissionResponse(parsed.request, cfg);
  return { response: (out as { response: Record<string, unknown> }).response, out: out as Record<string, unknown>, outcome };
}

test('a pod creation gets the uid back and a base64 JSONPatch that yields injectPod\'s pod', () => {
  const { response, out, outcome } = answer(review());
  assert.equal(out.apiVersion, 'admission.k8s.io/v1');
  assert.equal(out.kind, 'AdmissionReview');
  assert.equal(response.uid, '705ab4f5-6393-11e8-b7cc-42010a800002');
  assert.equal(response.allowed, true);
  assert.equal(response.patchType, 'JSONPatch');
  assert.deepEqual(outcome, { result: 'injected', reason: 'native' });
  const ops = JSON.parse(Buffer.from(response.patch as string, 'base64').toString('utf8')) as PatchOperation[];
  const expected = injectPod(pod, { namespace: 'shop', namespaceLabels: { [INJECT_LABEL]: 'enabled' }, config }).pod;
  assert.deepEqual(applyPatch(pod, ops), JSON.parse(JSON.stringify(expected)));
  assert.ok(ops.every((op) => op.op === 'add' || op.op === 'replace' || op.op === 'remove'));
});

test('skipped and ignored requests are allowed without a patch; a bad annotation adds a warning', () => {
  const hostNetwork = answer(review({}, { ...pod, spec: { ...pod.spec, hostNetwork: true } }));
  assert.deepEqual(hostNetwork.response, { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
  assert.deepEqual(hostNetwork.outcome, { result: 'skipped', reason: 'host_network' });
  for (const overrides of [{ operation: 'UPDATE' }, { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }, { subResource: 'ephemeralcontainers' }]) {
    const ignored = answer(review(overrides));
    assert.deepEqual(ignored.response, { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
    assert.deepEqual(ignored.outcome, { result: 'ignored', reason: 'not_a_pod_creation' });
  }
  const invalid = answer(review({}, { ...pod, metadata: { annotations: { 'outrigger.io/inbound-mode': 'tight' } } }));
  assert.equal(invalid.response.patch, undefined);
  assert.deepEqual(invalid.response.warnings, ['outrigger: sidecar not injected: outrigger.io/inbound-mode: "tight" is not one of permissive, strict']);
});

test('a pod Kubernetes would refuse is let through to be refused there, not injected, with a warning naming the field', () => {
  for (const [spec, message] of [
    [{}, 'spec.containers is missing or empty: a pod needs at least one container'],
    [{ containers: [{ name: 'a' }], volumes: 7 }, 'spec.volumes is not a list'],
    [{ containers: [{ image: 'a' }] }, 'spec.containers[0] has no name'],
  ] as const) {
    const { response, outcome } = answer(review({}, { ...pod, spec }));
    assert.equal(response.allowed, true);
    assert.equal(response.patch, undefined);
    assert.deepEqual(response.warnings, [`outrigger: sidecar not injected: ${message}`]);
    assert.deepEqual(outcome, { result: 'skipped', reason: 'invalid_pod' });
  }
});

test('an error inside injection still allows the pod, with a warning', () => {
  const broken = { ...config, proxyResources: null } as unknown as InjectConfig;
  const { response, outcome } = answer(review(), broken);
  assert.equal(response.allowed, true);
  assert.equal(response.patch, undefined);
  assert.match((response.warnings as string[])[0] ?? '', /^outrigger: sidecar not injected: internal error: /);
  assert.deepEqual(outcome, { result: 'error', reason: 'internal' });
});

test('bodies that are not an AdmissionReview v1 are named', () => {
  const cases: Array<[string, RegExp]> = [
    ['{', /not JSON/],
    ['null', /expected apiVersion admission\.k8s\.io\/v1/],
    [JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }), /admissionReviewVersions/],
    [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /no request/],
    [review({ uid: '' }), /no uid/],
    [review({ object: [] }), /no object/],
  ];
  for (const [body, message] of cases) {
    const parsed = parseAdmissionReview(body);
    assert.ok(!parsed.ok && message.test(parsed.message), `${body.slice(0, 60)}: ${JSON.stringify(parsed)}`);
  }
});

test('injection is decided by the pod annotation over the namespace label', () => {
  const labelled = { [INJECT_LABEL]: 'enabled' };
  const decide = (annotations: Record<string, string>, namespaceLabels: Record<string, string>) =>
    injectPod({ metadata: { annotations }, spec: pod.spec }, { namespace: 'shop', namespaceLabels, config }).decision;
  assert.equal(decide({}, labelled).kind, 'injected');
  assert.deepEqual(decide({}, {}), { kind: 'skipped', reason: 'not_enabled', message: 'neither the namespace label nor the pod annotation outrigger.io/inject is "enabled"', warnings: [] });
  assert.equal(decide({ [INJECT_LABEL]: 'enabled' }, {}).kind, 'injected');
  assert.equal(decide({ [INJECT_LABEL]: 'disabled' }, labelled).kind, 'skipped');
  const wrong = decide({ [INJECT_LABEL]: 'true' }, labelled);
  assert.deepEqual(wrong.kind === 'skipped' && [wrong.reason, wrong.message], ['invalid_annotation', 'outrigger.io/inject: "true" is not one of enabled, disabled']);
  assert.match(JSON.stringify(decide({}, labelled)), /native/);
  const withLinkerd = injectPod({ spec: { containers: [...pod.spec.containers, { name: 'linkerd-proxy' }] } }, { namespace: 'shop', namespaceLabels: labelled, config });
  assert.deepEqual([withLinkerd.decision.kind, withLinkerd.decision.kind === 'skipped' && withLinkerd.decision.reason], ['skipped', 'other_mesh']);
});

test('injectWorkload finds the pod template of each kind and passes other kinds through', () => {
  const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'a' }] } };
  const kinds: Array<[string, string, (t: unknown) => unknown, (o: Record<string, any>) => unknown]> = [
    ['apps/v1', 'Deployment', (t) => ({ template: t }), (o) => o.spec.template],
    ['apps/v1', 'StatefulSet', (t) => ({ template: t }), (o) => o.spec.template],
    ['apps/v1', 'DaemonSet', (t) => ({ template: t }), (o) => o.spec.template],
    ['apps/v1', 'ReplicaSet', (t) => ({ template: t }), (o) => o.spec.template],
    ['batch/v1', 'Job', (t) => ({ template: t }), (o) => o.spec.template],
    ['batch/v1', 'CronJob', (t) => ({ schedule: '@daily', jobTemplate: { spec: { template: t } } }), (o) => o.spec.jobTemplate.spec.template],
  ];
  for (const [apiVersion, kind, wrap, unwrap] of kinds) {
    const object = { apiVersion, kind, metadata: { name: 'x', namespace: 'shop' }, spec: wrap(template) };
    const result = injectWorkload(object, config);
    assert.equal(result.kind, 'workload', kind);
    const injected = unwrap(result.object as Record<string, any>) as { metadata: { annotations: Record<string, string> } };
    assert.ok(injected.metadata.annotations['outrigger.io/status'], `${kind}: template injected`);
    assert.deepEqual(unwrap(object as Record<string, any>), template, `${kind}: input untouched`);
  }
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } };
  assert.deepEqual(injectWorkload(service, config), { kind: 'not-a-workload', object: service });
  const system = injectWorkload({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { namespace: 'kube-system' }, spec: { template } }, config);
  assert.ok(system.kind === 'workload' && system.decision.kind === 'skipped');
});
