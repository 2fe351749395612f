import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyConfig } from './parse-config.ts';
import { parseDuration } from './parse-duration.ts';

const identity = 'identity: { certFile: a.crt, keyFile: a.key, trustBundleFile: ca.crt }\n';
const listener = (extra = '') => `listeners:\n  - { name: web, port: 8443, upstream: "127.0.0.1:8080"${extra} }\n`;

test('a minimal config gets every documented default', () => {
  const r = parseProxyConfig(identity + listener());
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.config.admin, { address: '0.0.0.0', port: 15020 });
  assert.deepEqual(r.config.listeners[0], { name: 'web', address: '0.0.0.0', port: 8443, tls: 'mutual', upstream: { host: '127.0.0.1', port: 8080 }, protocol: 'detect', upstreamTls: 'none' });
  assert.deepEqual(r.config.accessLog, { stdout: true, maxFileBytes: 104_857_600, maxFiles: 5 });
  assert.equal(r.config.log.level, 'info');
  assert.deepEqual(r.config.timeouts, { tlsHandshake: 10_000, detect: 3_000, upstreamConnect: 5_000, idle: 3_600_000, drain: 25_000, identityPoll: 30_000, upstreamResponse: 60_000, requestHeaders: 10_000 });
  assert.deepEqual(r.config.limits, { maxRequestHeaderBytes: 16_384, maxConnectionsPerListener: 20_000 });
  assert.deepEqual(r.config.tls, { groups: ['X25519', 'P-256'] });
});

test('tls.groups takes OpenSSL group names, the post-quantum hybrid included', () => {
  const r = parseProxyConfig(identity + listener() + 'tls: { groups: [X25519MLKEM768, X25519] }\n');
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.config.tls.groups, ['X25519MLKEM768', 'X25519']);
});

test('an IPv6 upstream is accepted in brackets', () => {
  const r = parseProxyConfig(identity + 'listeners:\n  - { name: web, port: 1, upstream: "[::1]:8080" }\n');
  assert.ok(r.ok);
  assert.deepEqual(r.config.listeners[0]?.upstream, { host: '::1', port: 8080 });
});

const rejected: Array<[string, string, RegExp]> = [
  ['misspelt top-level key', identity + listener() + 'acessLog: {}\n', /^acessLog: unknown key \(did you mean "accessLog"\?\)$/],
  ['misspelt nested key', identity + listener(', tsl: none'), /^listeners\[0\]\.tsl: unknown key \(did you mean "tls"\?\)$/],
  ['unrelated unknown key lists the known ones', identity + listener(', colour: red'), /^listeners\[0\]\.colour: unknown key \(known keys: name, address, port, tls, upstream, protocol, upstreamTls\)$/],
  ['no listeners and no transparent section', identity, /^listeners: at least one listener is needed \(or a transparent: section\)$/],
  ['empty listeners', identity + 'listeners: []\n', /^listeners: at least one listener is needed/],
  ['bad tls mode', identity + listener(', tls: yes'), /^listeners\[0\]\.tls: .*"server"\|"mutual"\|"none"/],
  ['port out of range', identity + 'listeners:\n  - { name: web, port: 70000, upstream: "127.0.0.1:1" }\n', /^listeners\[0\]\.port: /],
  ['upstream without port', identity + 'listeners:\n  - { name: web, port: 1, upstream: "127.0.0.1" }\n', /^listeners\[0\]\.upstream: "127\.0\.0\.1" is not host:port/],
  ['upstream port 0', identity + 'listeners:\n  - { name: web, port: 1, upstream: "127.0.0.1:0" }\n', /is not host:port/],
  ['bad duration', identity + listener() + 'timeouts: { detect: 3 seconds }\n', /^timeouts\.detect: "3 seconds" is not a duration/],
  ['a duration of the wrong type', identity + listener() + 'timeouts: { idle: true }\n', /^timeouts\.idle: a duration: text such as 500ms/],
  ['a files identity without its key', 'identity: { certFile: a.crt }\n' + listener(), /^identity\.keyFile: required key is missing$/],
  ['an identity source that does not exist', 'identity: { source: vault }\n' + listener(), /^identity\.source: Invalid discriminator value\. Expected 'ca' \| 'files'$/],
  ['an app metrics URL of another scheme', identity + listener() + 'metrics: { app: { url: "ftp://x/" } }\n', /^metrics\.app\.url: an http:\/\/ or https:\/\/ URL/],
  ['a zero duration', identity + listener() + 'timeouts: { upstreamResponse: 0 }\n', /^timeouts\.upstreamResponse: 0: a duration must be above 0$/],
  ['a zero duration as text', identity + listener() + 'timeouts: { idle: 0s }\n', /^timeouts\.idle: "0s": a duration must be above 0$/],
  ['duplicate listener names', identity + 'listeners:\n  - { name: web, port: 1, upstream: "127.0.0.1:1" }\n  - { name: web, port: 2, upstream: "127.0.0.1:1" }\n', /^listeners\[1\]\.name: duplicate listener name "web"$/],
  ['TLS without an identity', listener(), /^listeners\[0\]\.tls: tls: mutual needs an identity/],
  ['mutual TLS without a trust bundle', 'identity: { certFile: a, keyFile: b }\n' + listener(), /^identity\.trustBundleFile: listener "web" uses tls: mutual/],
  ['bad listener name', identity + 'listeners:\n  - { name: Web_1, port: 1, upstream: "127.0.0.1:1" }\n', /^listeners\[0\]\.name: a lowercase name/],
  ['YAML syntax error', 'listeners: [\n', /^YAML syntax: /],
  ['duplicate YAML key', identity + listener() + 'log: {}\nlog: {}\n', /^YAML syntax: .*[Uu]nique/],
  ['not a mapping', '- a\n- b\n', /^\(top level\): the config must be a mapping/],
  ['a TLS group name with a colon', identity + listener() + 'tls: { groups: ["X25519:P-256"] }\n', /^tls\.groups\[0\]: a TLS group name/],
  ['no TLS group', identity + listener() + 'tls: { groups: [] }\n', /^tls\.groups: /],
  ['a TLS group list as one string', identity + listener() + 'tls: { groups: "X25519:P-256" }\n', /^tls\.groups: /],
  ['a mesh network that is no address', identity + listener() + 'mesh: { networks: ["999.0.0.0/8"] }\n', /^mesh\.networks\[0\]: "999\.0\.0\.0\/8" is not an IPv4 or IPv6 CIDR block/],
  ['a mesh network with host bits set', identity + listener() + 'mesh: { networks: ["10.0.0.0/8", "10.244.0.1/16"] }\n', /^mesh\.networks\[1\]: "10\.244\.0\.1\/16" has address bits set beyond its \/16 prefix/],
  ['a mesh network prefix too long', identity + listener() + 'mesh: { networks: ["10.0.0.0/40"] }\n', /^mesh\.networks\[0\]: "10\.0\.0\.0\/40" needs a prefix length \/0 to \/32/],
  ['a port of the wrong type is wrong, not missing', identity + listener() + 'admin: { port: web }\n', /^admin\.port: Invalid input: expected number, received string$/],
];

for (const [name, text, problem] of rejected) {
  test(`rejected with a message naming the key: ${name}`, () => {
    const r = parseProxyConfig(text);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.ok(r.problems.some((p) => problem.test(p)), `problems: ${JSON.stringify(r.problems)}`);
  });
}

const durations: Array<[string | number, number | undefined]> = [
  ['250ms', 250], ['3s', 3000], ['1.5s', 1500], ['2m', 120_000], ['1h', 3_600_000], [1500, 1500],
  ['3', undefined], ['3 s', undefined], ['-1s', undefined], ['1d', undefined], ['', undefined], [-5, undefined], [Number.NaN, undefined],
];
for (const [input, want] of durations) {
  test(`parseDuration(${JSON.stringify(input)}) = ${want}`, () => assert.equal(parseDuration(input), want));
}

test('a transparent section alone is a valid config, with the documented defaults', () => {
  const r = parseProxyConfig('transparent: {}\n');
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.config.transparent, {
    inbound: { address: '0.0.0.0', port: 15006, upstream: 'localhost', mode: 'permissive', ports: {} },
    outbound: { address: '127.0.0.1', port: 15001 },
    opaquePorts: [25, 587, 3306, 4444, 5432, 6379, 9300, 11211],
  });
  assert.deepEqual(r.config.listeners, []);
});

test('upstream pod-ip needs the pod IP, which OUTRIGGER_POD_IP supplies', () => {
  const text = 'transparent:\n  inbound:\n    ports: { "8080": { upstream: pod-ip } }\n';
  const missing = parseProxyConfig(text);
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.match(missing.problems.join('\n'), /transparent\.inbound\.podIp: upstream pod-ip needs the pod IP/);
  const withEnv = parseProxyConfig(text, { OUTRIGGER_POD_IP: '198.18.0.2' });
  assert.ok(withEnv.ok);
  assert.equal(withEnv.config.transparent?.inbound.podIp, '198.18.0.2');
  assert.deepEqual(withEnv.config.transparent?.inbound.ports, { '8080': { upstream: 'pod-ip' } });
});

test('a per-port key that is not a port is named', () => {
  const r = parseProxyConfig('transparent:\n  inbound:\n    ports: { http: { upstream: localhost } }\n');
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.problems.join('\n'), /transparent\.inbound\.ports/);
});
