// injectPod on named cases: testdata/pods/<case>.in.yaml is the pod the API server hands over,
// <case>.out.yaml the golden pod that comes back, headed by the decision (UPDATE_GOLDEN=1 rewrites
// it; a mismatch prints a unified diff). Then what must hold for every case: the result validates
// against the Kubernetes schema, the JSON Patch reproduces it, and a second injection changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Pod } from 'kubernetes-models/v1';
import { parse, stringify } from 'yaml';
import { checkGolden } from '@outrigger/testing';
import { defaultInjectConfig, type InjectConfig } from './inject-config.ts';
import { injectPod, type InjectOptions } from './inject-pod.ts';
import { applyPatch, planPatch } from './json-patch.ts';
import type { PodLike } from './k8s.ts';
import { INJECT_LABEL } from './names.ts';

const PODS = join(import.meta.dirname, 'testdata', 'pods');
export const FAKE_CA = '-----BEGIN CERTIFICATE-----\nMIIBfakeCAforTestsOnly\n-----END CERTIFICATE-----\n';
const enabled = { [INJECT_LABEL]: 'enabled' };

interface Case {
  namespaceLabels?: Record<string, string>;
  config?: Partial<InjectConfig>;
  expect: 'injected' | 'skipped';
}

const cases: Record<string, Case> = {
  plain: { expect: 'injected' },
  'http-probes': { expect: 'injected' },
  // Enabled by its own annotation in a namespace without the label; IPv6 capture turned on mesh-wide.
  'every-annotation': { namespaceLabels: {}, config: { ipv6: true, imagePullPolicy: 'IfNotPresent' }, expect: 'injected' },
  legacy: { expect: 'injected' },
  job: { expect: 'injected' },
  'host-network': { expect: 'skipped' },
  'kube-system': { namespaceLabels: {}, expect: 'skipped' },
  'istio-proxy': { expect: 'skipped' },
  'already-injected': { expect: 'skipped' },
  'invalid-annotation': { expect: 'skipped' },
};

const readPod = (name: string) => parse(readFileSync(join(PODS, `${name}.in.yaml`), 'utf8')) as PodLike;
const optionsFor = (c: Case, pod: PodLike): InjectOptions => ({
  namespace: pod.metadata?.namespace,
  namespaceLabels: c.namespaceLabels ?? enabled,
  config: { ...defaultInjectConfig(FAKE_CA), ...c.config },
});

for (const [name, c] of Object.entries(cases)) {
  test(`golden: ${name}`, () => {
    const before = readPod(name);
    const { pod, decision } = injectPod(before, optionsFor(c, before));
    assert.equal(decision.kind, c.expect, JSON.stringify(decision));
    if (decision.kind === 'skipped') assert.deepEqual(pod, before, 'a skipped pod is unchanged');
    checkGolden(PODS, `${name}.out.yaml`, `# decision: ${JSON.stringify(decision)}\n${stringify(pod, { lineWidth: 0 })}`);
  });

  test(`properties: ${name}`, () => {
    const before = readPod(name);
    const frozen = structuredClone(before);
    const options = optionsFor(c, before);
    const { pod } = injectPod(before, options);
    assert.deepEqual(before, frozen, 'the input is never changed');
    assert.doesNotThrow(() => new Pod({ metadata: pod.metadata, spec: pod.spec }).validate());
    assert.deepEqual(applyPatch(before, planPatch(before, pod)), pod, 'applying the patch gives the injected pod');
    const again = injectPod(pod, options);
    assert.deepEqual(again.pod, pod, 'injecting an injected pod changes nothing');
    assert.deepEqual(planPatch(pod, again.pod), []);
  });
}

test('testdata holds exactly the goldens of the cases (no stale ones)', () => {
  const files = readdirSync(PODS).sort();
  const expected = Object.keys(cases).flatMap((name) => [`${name}.in.yaml`, `${name}.out.yaml`]).sort();
  assert.deepEqual(files, expected);
});
