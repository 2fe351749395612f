import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyConfig, type ProxyConfig } from '@outrigger/config';
import { applyReload, planReload } from './plan-reload.ts';

const parse = (text: string): ProxyConfig => {
  const r = parseProxyConfig(text);
  assert.ok(r.ok, JSON.stringify(r));
  return r.config;
};
const base = 'identity: { certFile: a, keyFile: b, trustBundleFile: c }\ntransparent: {}\n';

test('nothing changed: nothing to apply, nothing to restart', () => {
  assert.deepEqual(planReload(parse(base), parse(base)), { live: [], restartRequired: [] });
});

test('live keys are applied; restart-only keys are reported and kept', () => {
  const current = parse(base);
  const next = parse(`${base.replace('transparent: {}', 'transparent: { inbound: { mode: strict, port: 16006 }, opaquePorts: [5432] }')}mesh: { networks: ["10.0.0.0/8"], trustDomain: other.example }\nlog: { level: debug }\n`);
  const plan = planReload(current, next);
  assert.deepEqual(plan.live.sort(), ['log.level', 'mesh.networks', 'transparent.inbound.mode', 'transparent.opaquePorts'].sort());
  assert.deepEqual(plan.restartRequired.sort(), ['mesh.trustDomain', 'transparent.inbound.port'].sort());
  const merged = applyReload(current, next);
  assert.equal(merged.transparent?.inbound.mode, 'strict');
  assert.equal(merged.transparent?.inbound.port, 15006, 'the port stays until a restart');
  assert.equal(merged.mesh.trustDomain, 'cluster.local');
  assert.deepEqual(merged.mesh.networks, ['10.0.0.0/8']);
  assert.equal(merged.log.level, 'debug');
});

test('turning transparent mode on is a restart', () => {
  const plan = planReload(parse('listeners: [{ name: a, port: 1, tls: none, upstream: "127.0.0.1:2" }]\n'), parse('listeners: [{ name: a, port: 1, tls: none, upstream: "127.0.0.1:2" }]\ntransparent: {}\n'));
  assert.deepEqual(plan.restartRequired, ['transparent']);
});

test('a changed listener is a restart', () => {
  const a = parse('listeners: [{ name: a, port: 1, tls: none, upstream: "127.0.0.1:2" }]\n');
  const b = parse('listeners: [{ name: a, port: 1, tls: none, upstream: "127.0.0.1:3" }]\n');
  assert.deepEqual(planReload(a, b).restartRequired, ['listeners']);
});

test('changed TLS groups are a restart: the contexts in use were made with the old ones', () => {
  const current = parse(base);
  const next = parse(`${base}tls: { groups: [X25519MLKEM768, X25519] }\n`);
  assert.deepEqual(planReload(current, next).restartRequired, ['tls']);
  assert.deepEqual(applyReload(current, next).tls.groups, ['X25519', 'P-256'], 'the old groups stay until a restart');
});
