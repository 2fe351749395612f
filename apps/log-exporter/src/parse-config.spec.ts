// The exporter's config: every default, each sink, and problems that name the key (with a
// suggestion for a misspelt one); durations and byte sizes as written in the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExporterConfig } from './parse-config.ts';
import { parseByteSize, parseDuration } from './parse-units.ts';

test('a config with only a sink gets every documented default', () => {
  const r = parseExporterConfig('sink: { kind: syslog, address: "127.0.0.1:601" }\n');
  assert.ok(r.ok, JSON.stringify(r));
  const { sink, ...rest } = r.config;
  assert.deepEqual(rest, {
    files: { paths: ['/var/log/outrigger/access.log*'], exclude: ['*.gz', '*.bz2', '*.xz', '*.zst', '*.zip'], startAt: 'beginning', maxLineBytes: 65536, readBytes: 262144, pollInterval: 250, rotateWait: 5000, maxOpenFiles: 64 },
    positions: { file: '/var/lib/outrigger/log-exporter/positions.json', interval: 250 },
    batch: { maxLines: 1000, maxBytes: 1048576, maxWait: 1000, maxInFlight: 16 },
    retry: { initialDelay: 250, maxDelay: 30000, maxRetryAfter: 300000 },
    deadLetter: { file: '/var/lib/outrigger/log-exporter/dead-letter.ndjson', maxBytes: 67108864 },
    admin: { address: '0.0.0.0', port: 15021 },
    shutdown: { timeout: 5000 },
    log: { level: 'info' },
  });
  assert.deepEqual(sink, {
    kind: 'syslog', address: { host: '127.0.0.1', port: 601 }, facility: 'local0', severity: 'info', appName: 'outrigger', msgId: 'access',
    structuredData: [], bom: true, connectTimeout: 5000, confirmTimeout: 30000, confirmBytes: 1048576, maxConnections: 8,
  });
});

const sinks: Array<[string, string, Record<string, unknown>]> = [
  ['loki', 'sink: { kind: loki, url: "http://loki:3100/loki/api/v1/push", labelFields: [direction], tenant: team-a }', { labels: { job: 'outrigger' }, labelFields: ['direction'], tenant: 'team-a', headers: {}, timeout: 10000 }],
  ['elasticsearch', 'sink: { kind: elasticsearch, url: "https://es:9200", tls: { caFile: ca.pem } }', { index: 'outrigger-access', action: 'create', timestampField: '@timestamp', tls: { caFile: 'ca.pem', insecureSkipVerify: false } }],
  ['http', 'sink: { kind: http, url: "http://collector/ingest", headers: { authorization: "Bearer x" }, timeout: 2s }', { headers: { authorization: 'Bearer x' }, timeout: 2000 }],
  ['stdout', 'sink: { kind: stdout }', {}],
  ['syslog over TLS with structured data', 'sink: { kind: syslog, address: "[::1]:6514", tls: {}, structuredData: [{ id: origin, params: { software: outrigger } }] }', { address: { host: '::1', port: 6514 }, structuredData: [{ id: 'origin', params: { software: 'outrigger' } }] }],
];
for (const [name, text, fields] of sinks) {
  test(`sink: ${name}`, () => {
    const r = parseExporterConfig(text);
    assert.ok(r.ok, JSON.stringify(r));
    for (const [k, v] of Object.entries(fields)) assert.deepEqual((r.config.sink as Record<string, unknown>)[k], v, k);
  });
}

const syslog = 'sink: { kind: syslog, address: "127.0.0.1:601" }\n';
const rejected: Array<[string, string, RegExp]> = [
  ['no sink', 'batch: {}\n', /^sink: required key is missing$/],
  ['a section of the wrong type is wrong, not missing', `${'sink: { kind: syslog, address: "127.0.0.1:601" }\n'}files: 7\n`, /^files: Invalid input: expected object, received number$/],
  ['unknown sink kind', 'sink: { kind: kafka }\n', /^sink\.kind: unknown sink "kafka" \(one of syslog, loki, elasticsearch, http, stdout\)$/],
  ['sink without kind', 'sink: { url: "http://x" }\n', /^sink\.kind: required key is missing/],
  ['misspelt sink key', 'sink: { kind: syslog, adress: "127.0.0.1:601" }\n', /^sink\.adress: unknown key \(did you mean "address"\?\)$/],
  ['key of another sink kind', 'sink: { kind: http, url: "http://x", index: logs }\n', /^sink\.index: unknown key \(known keys: kind, url, headers, timeout, tls\)$/],
  ['misspelt top-level key', `${syslog}bacth: {}\n`, /^bacth: unknown key \(did you mean "batch"\?\)$/],
  ['misspelt nested key', `${syslog}batch: { maxWiat: 1s }\n`, /^batch\.maxWiat: unknown key \(did you mean "maxWait"\?\)$/],
  ['address without port', 'sink: { kind: syslog, address: "127.0.0.1" }\n', /^sink\.address: "127\.0\.0\.1" is not host:port/],
  ['bad duration', `${syslog}batch: { maxWait: 1 second }\n`, /^batch\.maxWait: "1 second" is not a duration/],
  ['bad size', `${syslog}files: { maxLineBytes: 64 kilobytes }\n`, /^files\.maxLineBytes: "64 kilobytes" is not a size/],
  ['size out of range', `${syslog}files: { maxLineBytes: 100 }\n`, /^files\.maxLineBytes: 100 is out of range \(256 to 16777216 bytes\)$/],
  ['zero lines per batch', `${syslog}batch: { maxLines: 0 }\n`, /^batch\.maxLines: /],
  ['no paths', `${syslog}files: { paths: [] }\n`, /^files\.paths: /],
  ['unknown facility', 'sink: { kind: syslog, address: "h:1", facility: local9 }\n', /^sink\.facility: /],
  ['app-name with a space', 'sink: { kind: syslog, address: "h:1", appName: "my app" }\n', /^sink\.appName: 1 to 48 printable ASCII characters/],
  ['SD-ID without enterprise number', 'sink: { kind: syslog, address: "h:1", structuredData: [{ id: pod }] }\n', /^sink\.structuredData\[0\]\.id: "pod" is not an IANA-registered SD-ID/],
  ['SD param name with =', 'sink: { kind: syslog, address: "h:1", structuredData: [{ id: "a@1", params: { "a=b": c } }] }\n', /^sink\.structuredData\[0\]\.params\.a=b: /],
  ['Loki label name with a dash', 'sink: { kind: loki, url: "http://l/push", labelFields: [peer-identity] }\n', /^sink\.labelFields\[0\]: a Loki label name$/],
  ['URL that is not http', 'sink: { kind: http, url: "ftp://x/y" }\n', /^sink\.url: /],
  ['upper-case index', 'sink: { kind: elasticsearch, url: "http://es:9200", index: Logs }\n', /^sink\.index: an index or data stream name/],
  ['YAML syntax error', 'sink: [\n', /^YAML syntax: /],
  ['duplicate YAML key', `${syslog}${syslog}`, /^YAML syntax: .*[Uu]nique/],
  ['not a mapping', '- a\n', /^\(top level\): the config must be a mapping/],
];
for (const [name, text, problem] of rejected) {
  test(`rejected with a message naming the key: ${name}`, () => {
    const r = parseExporterConfig(text);
    assert.equal(r.ok, false);
    if (!r.ok) assert.ok(r.problems.some((p) => problem.test(p)), `problems: ${JSON.stringify(r.problems)}`);
  });
}

const durations: Array<[string | number, number | undefined]> = [
  ['250ms', 250], ['5s', 5000], ['1.5s', 1500], ['2m', 120_000], ['1h', 3_600_000], [1500, 1500], ['3', undefined], ['3 s', undefined], ['-1s', undefined], [-5, undefined],
];
for (const [input, want] of durations) test(`parseDuration(${JSON.stringify(input)}) = ${want}`, () => assert.equal(parseDuration(input), want));

const sizes: Array<[string | number, number | undefined]> = [
  [65536, 65536], ['64KiB', 65536], ['1MiB', 1048576], ['1MB', 1_000_000], ['2 GiB', 2 * 1024 ** 3], ['512', 512], ['1.5KiB', 1536], ['10B', 10],
  ['1 kb', undefined], ['MiB', undefined], ['-1', undefined], [1.5, undefined], [-1, undefined],
];
for (const [input, want] of sizes) test(`parseByteSize(${JSON.stringify(input)}) = ${want}`, () => assert.equal(parseByteSize(input), want));
