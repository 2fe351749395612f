// `inject -f` as users run it: a real process on a multi-document file (and on standard input),
// its output a golden (testdata/inject/app.out.yaml; UPDATE_GOLDEN=1 rewrites it). Every object it
// prints validates against the Kubernetes schema, every proxy config against the proxy's, and
// injecting the output again changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProxyConfig } from '@outrigger/config';
import { ANNOTATIONS } from '@outrigger/inject';
import { checkGolden, run } from '@outrigger/testing';
import { parseAllDocuments } from 'yaml';
import { validateObject } from './testdata/validate-object.ts';

const MAIN = join(import.meta.dirname, 'main.ts');
const DATA = join(import.meta.dirname, 'testdata', 'inject');
const args = ['inject', '--ca-bundle', join(DATA, 'mesh-ca.crt'), '--image', 'registry.example/outrigger:0.1.0'];

test('inject -f: every workload kind injected, other kinds and skipped workloads byte for byte', async () => {
  const r = await run(process.execPath, [MAIN, ...args, '-f', join(DATA, 'app.yaml')]);
  assert.equal(r.code, 0, r.stderr);
  checkGolden(DATA, 'app.out.yaml', r.stdout);
  assert.deepEqual(r.stderr.trim().split('\n'), [
    'inject: Deployment shop/web: injected (native sidecar)',
    'inject: StatefulSet shop/cache: injected (native sidecar)',
    'inject: DaemonSet shop/node-exporter: not injected: the pod uses the host network: capture rules would redirect the node\'s traffic',
    'inject: ReplicaSet shop/legacy-rs: not injected: the pod annotation outrigger.io/inject is "disabled"',
    'inject: Job shop/migrate: injected (native sidecar)',
    'inject: CronJob shop/nightly: injected (native sidecar)',
    'inject: Pod shop/debug: injected (native sidecar)',
  ]);
  const input = readFileSync(join(DATA, 'app.yaml'), 'utf8');
  assert.ok(r.stdout.endsWith(input.slice(input.indexOf('# Passed through'))), 'the Service keeps its comment and flow style');

  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; spec?: unknown });
  assert.equal(docs.length, 9);
  let configs = 0;
  for (const object of docs) {
    assert.doesNotThrow(() => validateObject(object), object.kind);
    for (const config of JSON.stringify(object).matchAll(/"outrigger\.io\/proxy-config":("(?:[^"\\]|\\.)*")/g)) {
      const parsed = parseProxyConfig(JSON.parse(config[1] ?? '""') as string, { OUTRIGGER_NAMESPACE: 'shop', OUTRIGGER_SERVICE_ACCOUNT: 'default', OUTRIGGER_POD_IP: '10.244.1.7' });
      assert.ok(parsed.ok, `${object.kind}: ${JSON.stringify(parsed)}`);
      configs++;
    }
  }
  assert.equal(configs, 5, 'one proxy config per injected workload');
  assert.ok(r.stdout.includes(`${ANNOTATIONS.proxyConfig}: |`), 'multi-line annotations as block scalars');

  const stdin = await run(process.execPath, [MAIN, ...args, '-f', '-'], { input });
  assert.equal(stdin.stdout, r.stdout, '-f - reads standard input');
  const again = await run(process.execPath, [MAIN, ...args, '-f', '-'], { input: r.stdout });
  assert.equal(again.stdout, r.stdout, 'injecting the output again changes nothing');
});

test('inject refuses what it cannot use, naming the flag or file', async () => {
  const noCa = await run(process.execPath, [MAIN, 'inject', '-f', join(DATA, 'app.yaml')]);
  assert.equal(noCa.code, 1);
  assert.match(noCa.stderr, /^inject: --ca-bundle FILE is required/);
  const badYaml = await run(process.execPath, [MAIN, ...args, '-f', '-'], { input: 'a: [1\n---\nb: 2\n' });
  assert.equal(badYaml.code, 1);
  assert.match(badYaml.stderr, /^inject: standard input is not valid YAML:\n {2}document 1: /);
  // A workload Kubernetes would refuse fails the whole input, naming document and field, rather than pass through.
  const service = 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\n';
  for (const [workload, problem] of [
    ['apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {}\n', 'Pod x: spec.containers is missing or empty'],
    ['apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\n', 'Deployment shop/d: spec.template is missing'],
    ['apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: {spec: {template: 5}}}\n', 'CronJob c: spec.jobTemplate.spec.template is not an object'],
    ['apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {outrigger.io/skip-inbound-ports: 22}}\nspec: {containers: [{name: a, image: b}]}\n', 'Pod p: metadata.annotations.outrigger.io/skip-inbound-ports is not a string'],
  ]) {
    const refused = await run(process.execPath, [MAIN, ...args, '-f', '-'], { input: `${service}---\n${workload}` });
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stdout, '');
    assert.ok(refused.stderr.startsWith(`inject: standard input holds workloads Kubernetes would refuse; nothing was written:\n  document 2: ${problem}`), refused.stderr);
  }
  const missing = await run(process.execPath, [MAIN, ...args, '-f', join(DATA, 'nope.yaml')]);
  assert.match(missing.stderr, /^inject: cannot read the input .*nope\.yaml: no such file or directory/);
});
