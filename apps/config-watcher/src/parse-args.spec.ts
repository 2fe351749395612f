import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWatcherArgs } from './parse-args.ts';
import { WatcherError } from './watcher-errors.ts';

test('a minimal command line gets every documented default', () => {
  const spec = parseWatcherArgs(['--source', 'dir:/etc/config', '--dest', '/shared/config']);
  assert.deepEqual(spec, {
    source: { kind: 'dir', path: '/etc/config' },
    dest: '/shared/config',
    schemas: [],
    validateCmd: undefined,
    validateTimeoutMs: 30_000,
    notify: [],
    notifyTimeoutMs: 10_000,
    debounceMs: 500,
    pollMs: 10_000,
    timeoutMs: 10_000,
    tls: { caFile: undefined, certFile: undefined, keyFile: undefined },
    headers: {},
    fileName: undefined,
    once: false,
    admin: { address: '0.0.0.0', port: 15022 },
    logLevel: 'info',
  });
});

test('a url source with TLS, headers, schemas, validation and every notify mode', () => {
  const spec = parseWatcherArgs([
    '--source', 'url:https://cfg.example/shop/app.yaml', '--dest', '/d',
    '--ca-file', 'ca.crt', '--cert-file', 'c.crt', '--key-file', 'c.key', '--header', 'Authorization: Bearer x:y',
    '--schema', 'app.yaml=app.schema.json', '--schema', 'all.schema.yaml', '--validate-cmd', 'test -s "$1/app.yaml"',
    '--notify', 'signal:SIGUSR2', '--process-name', 'java', '--notify', 'http:POST:http://127.0.0.1:8080/-/reload', '--notify', 'exec:kill -HUP 1',
    '--poll', '1m', '--timeout', '2s', '--debounce', '0ms', '--file-name', 'settings.yaml', '--admin-port', '0',
  ]);
  assert.ok(spec);
  assert.equal(spec.source.kind === 'url' && spec.source.url.href, 'https://cfg.example/shop/app.yaml');
  assert.deepEqual(spec.headers, { authorization: 'Bearer x:y' });
  assert.deepEqual(spec.schemas, [{ file: 'app.yaml', path: 'app.schema.json' }, { path: 'all.schema.yaml' }]);
  assert.deepEqual(spec.notify.map((n) => n.kind), ['signal', 'http', 'exec']);
  assert.deepEqual(spec.notify[0], { kind: 'signal', signal: 'SIGUSR2', target: { kind: 'process-name', name: 'java' } });
  assert.equal(spec.notify[1]?.kind === 'http' && `${spec.notify[1].method} ${spec.notify[1].url.href}`, 'POST http://127.0.0.1:8080/-/reload');
  assert.deepEqual(spec.notify[2], { kind: 'exec', command: 'kill -HUP 1' });
  assert.equal(spec.pollMs, 60_000);
  assert.equal(spec.debounceMs, 0);
  assert.equal(spec.admin.port, 0);
});

test('--help asks for the usage text', () => assert.equal(parseWatcherArgs(['--help']), undefined));

const refused: Array<[string, string[], RegExp]> = [
  ['no source', ['--dest', '/d'], /--source is required/],
  ['a source of no known kind', ['--source', 'git:repo', '--dest', '/d'], /expected dir:PATH or url:URL/],
  ['a url that is not http(s)', ['--source', 'url:ftp://x/y', '--dest', '/d'], /not an http:\/\/ or https:\/\/ URL/],
  ['no dest', ['--source', 'dir:/s'], /--dest DIR is required/],
  ['an unknown flag', ['--source', 'dir:/s', '--dest', '/d', '--sauce', 'x'], /Unknown option '--sauce'/],
  ['a signal without a way to find the process', ['--source', 'dir:/s', '--dest', '/d', '--notify', 'signal:HUP'], /needs --pid-file FILE or --process-name NAME/],
  ['an unknown signal', ['--source', 'dir:/s', '--dest', '/d', '--notify', 'signal:KILL', '--pid-file', 'p'], /signal must be one of HUP, USR1/],
  ['both pid file and name', ['--source', 'dir:/s', '--dest', '/d', '--notify', 'signal:HUP', '--pid-file', 'p', '--process-name', 'n'], /give one, not both/],
  ['a pid file without a signal', ['--source', 'dir:/s', '--dest', '/d', '--pid-file', 'p'], /only used with --notify signal/],
  ['http notify without a method', ['--source', 'dir:/s', '--dest', '/d', '--notify', 'http:http://x/reload'], /expected http:METHOD:URL/],
  ['an unknown notify mode', ['--source', 'dir:/s', '--dest', '/d', '--notify', 'carrier-pigeon:x'], /expected signal:HUP, http:POST:URL or exec:COMMAND/],
  ['a bad duration', ['--source', 'dir:/s', '--dest', '/d', '--poll', '10'], /--poll: "10" is not a duration/],
  ['a bad port', ['--source', 'dir:/s', '--dest', '/d', '--admin-port', '99999'], /not a port number/],
  ['TLS flags for a dir source', ['--source', 'dir:/s', '--dest', '/d', '--ca-file', 'ca'], /apply to a url: source only/],
  ['a cert without a key', ['--source', 'url:https://x/a', '--dest', '/d', '--cert-file', 'c'], /go together/],
  ['a header without a colon', ['--source', 'url:https://x/a', '--dest', '/d', '--header', 'nope'], /expected "Name: value"/],
  ['a file name that is a path', ['--source', 'url:https://x/a', '--dest', '/d', '--file-name', '../etc/passwd'], /a plain file name/],
];
for (const [name, argv, message] of refused) {
  test(`refused with a usage error: ${name}`, () => {
    assert.throws(() => parseWatcherArgs(argv), (err: WatcherError) => err.kind === 'usage' && message.test(err.message));
  });
}
