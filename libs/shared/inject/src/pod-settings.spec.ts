// Option annotations as a table: what each value becomes, and the problem each bad value names.
// Then the catalogue against docs/reference/annotations.md, which must list every annotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultInjectConfig } from './inject-config.ts';
import { injectPod } from './inject-pod.ts';
import { ANNOTATION_DOCS, ANNOTATIONS as A, INJECT_LABEL } from './names.ts';
import { planPodCapture } from './plan-pod-capture.ts';
import { planResources } from './plan-resources.ts';
import { parsePodSettings } from './pod-settings.ts';
import { parseQuantity } from './quantity.ts';

test('valid values are read, lists forgiving spaces', () => {
  const { settings, problems } = parsePodSettings({
    [A.skipInboundPorts]: ' 22, 8081 ',
    [A.opaquePorts]: '5432',
    [A.inboundMode]: 'strict',
    [A.sidecar]: 'legacy',
    [A.logExport]: 'stdout',
    [A.configWatch]: 'source=https://cfg.example/app?x=1,path=/etc/app,notify=http:POST:http://127.0.0.1:8080/reload?a=1,b=2',
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(settings.skipInboundPorts, [22, 8081]);
  assert.deepEqual(settings.opaquePorts, [5432]);
  assert.equal(settings.inboundMode, 'strict');
  assert.equal(settings.sidecar, 'legacy');
  assert.deepEqual(settings.logExport, { kind: 'stdout' });
  const sink = (value: string) => parsePodSettings({ [A.logExport]: value }).settings.logExport;
  assert.deepEqual(sink('syslog+tls://logs.ops:6514'), { kind: 'syslog', address: 'logs.ops:6514', tls: {} });
  assert.deepEqual(sink('loki+https://loki.ops/loki/api/v1/push'), { kind: 'loki', url: 'https://loki.ops/loki/api/v1/push' });
  assert.deepEqual(sink('es+http://search.ops:9200'), { kind: 'elasticsearch', url: 'http://search.ops:9200' });
  assert.deepEqual(settings.configWatch, { source: { kind: 'url', url: 'https://cfg.example/app?x=1' }, path: '/etc/app', notify: 'http:POST:http://127.0.0.1:8080/reload?a=1,b=2', process: undefined });
  assert.equal(parsePodSettings({}).settings.opaquePorts, undefined, 'absent: the mesh default');
  assert.deepEqual(parsePodSettings({ [A.opaquePorts]: '' }).settings.opaquePorts, [], 'empty: no opaque port, the default replaced');
});

test('an outrigger.io/* annotation the injector does not know is a warning, with the name it was near', () => {
  const pod = { metadata: { annotations: { 'outrigger.io/skip-inbound-port': '22', 'outrigger.io/frobnicate': '1', 'example.com/other': 'x' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } };
  const { decision } = injectPod(pod, { namespace: 'shop', namespaceLabels: { [INJECT_LABEL]: 'enabled' }, config: defaultInjectConfig('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n') });
  assert.equal(decision.kind, 'injected');
  assert.deepEqual(decision.warnings, [
    'unknown annotation outrigger.io/skip-inbound-port ignored (did you mean outrigger.io/skip-inbound-ports?)',
    'unknown annotation outrigger.io/frobnicate ignored',
  ]);
});

const bad: Array<[Record<string, string>, RegExp]> = [
  [{ [A.skipOutboundPorts]: '25,smtp' }, /^outrigger\.io\/skip-outbound-ports: "smtp" is not a port/],
  [{ [A.opaquePorts]: '70000' }, /^outrigger\.io\/opaque-ports: "70000" is not a port/],
  [{ [A.upstream]: 'pod' }, /^outrigger\.io\/upstream: "pod" is not one of localhost, pod-ip/],
  [{ [A.logLevel]: 'verbose' }, /^outrigger\.io\/log-level: "verbose"/],
  [{ [A.proxyMemory]: '64MB' }, /^outrigger\.io\/proxy-memory: "64MB" is not a memory quantity/],
  [{ [A.logExport]: 'logs.example:514' }, /^outrigger\.io\/log-export: .* is not a sink: syslog:/],
  [{ [A.logExport]: 'syslog://logs.example' }, /is not a sink/],
  [{ [A.configWatch]: 'source=configmap:app,path=/etc/app,notify=signal:HUP' }, /needs process=NAME/],
  [{ [A.configWatch]: 'source=configmap:Bad_Name,path=/etc/app' }, /is not a ConfigMap name/],
  [{ [A.configWatch]: 'path=/etc/app' }, /source and path are required/],
  [{ [A.configWatch]: 'source=configmap:app,path=etc' }, /must be an absolute directory/],
  [{ [A.configWatch]: 'source=configmap:app,path=/etc,mode=x' }, /unknown key "mode"/],
];

for (const [annotations, message] of bad) {
  test(`refused: ${JSON.stringify(annotations)}`, () => {
    const { problems } = parsePodSettings(annotations);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0] ?? '', message);
  });
}

test('capture problems name the annotation, not the init flag', () => {
  const config = defaultInjectConfig('');
  const { settings } = parsePodSettings({ [A.skipOutboundCidrs]: '10.0.0.0/33,fd00::/8' });
  const { problems } = planPodCapture(settings, config);
  assert.deepEqual(problems.map((p) => p.split(':')[0]), [A.skipOutboundCidrs, A.skipOutboundCidrs]);
  assert.deepEqual(planPodCapture(settings, { ...config, ipv6: true }).problems.length, 1, 'IPv6 blocks are fine with --ipv6');
});

test('quantities and request/limit: a request above a default limit raises it, above a chosen one is refused', () => {
  assert.equal(parseQuantity('100m'), 0.1);
  assert.equal(parseQuantity('64Mi'), 64 * 2 ** 20);
  assert.equal(parseQuantity('1e3'), 1000);
  for (const badQuantity of ['', '1.2.3', '64MB', '-1', 'Mi']) assert.equal(parseQuantity(badQuantity), undefined, badQuantity);
  const defaults = defaultInjectConfig('').proxyResources;
  assert.deepEqual(planResources({ memory: '512Mi' }, defaults), { resources: { requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '512Mi' } }, problems: [] });
  const refused = planResources({ memory: '512Mi', memoryLimit: '256Mi' }, defaults);
  assert.match(refused.problems.join(), /^outrigger\.io\/proxy-memory: 512Mi is above the limit 256Mi/);
});

test('docs/reference/annotations.md lists every annotation in the catalogue, and the catalogue every name', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'reference', 'annotations.md'), 'utf8');
  for (const { name, values } of ANNOTATION_DOCS) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    assert.ok(row !== undefined, `annotations.md has no row for ${name}`);
    assert.ok(row.includes(`| ${values} |`), `the row for ${name} gives its values as ${values}`);
  }
  assert.deepEqual(ANNOTATION_DOCS.map((d) => d.name).sort(), Object.values(A).sort());
});
