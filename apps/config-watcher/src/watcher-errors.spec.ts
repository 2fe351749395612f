// Keeps docs/reference/config-watcher.md true to the code: every error kind with its reload result
// and description, every flag (with its default) in the flags table and in --help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULTS, OPTIONS } from './parse-args.ts';
import { USAGE } from './usage.ts';
import { WATCHER_ERRORS, WatcherError, classifyWatcherError } from './watcher-errors.ts';

const doc = readFileSync(new URL('../../../docs/reference/config-watcher.md', import.meta.url), 'utf8');
const rows = doc.split('\n').filter((l) => l.startsWith('| `')).map((l) => l.slice(1, -1).split(' | ').map((c) => c.trim()));

test('every error kind is documented with its reload result and description, in catalogue order', () => {
  const documented = rows.filter((r) => r.length === 3 && Object.hasOwn(WATCHER_ERRORS, (r[0] ?? '').replaceAll('`', '')));
  assert.deepEqual(documented.map((r) => r[0]), Object.keys(WATCHER_ERRORS).map((k) => `\`${k}\``));
  for (const [kind, info] of Object.entries(WATCHER_ERRORS)) {
    const row = documented.find((r) => r[0] === `\`${kind}\``);
    assert.equal(row?.[1], info.result, kind);
    assert.equal(row?.[2], info.description, kind);
  }
});

test('every flag is in the flags table and in --help; the defaults in the table are the code\'s', () => {
  const flagCells = rows.filter((r) => r[0]?.startsWith('`--')).map((r) => r[0] ?? '');
  for (const flag of Object.keys(OPTIONS)) {
    assert.ok(flagCells.some((c) => new RegExp(`\`--${flag}[ \`]`).test(c)), `--${flag} in the table`);
    assert.ok(USAGE.includes(`--${flag}`), `--${flag} in --help`);
  }
  const defaultOf = (flag: string) => rows.find((r) => r[0]?.startsWith(`\`--${flag}`))?.[1];
  assert.equal(defaultOf('validate-timeout'), `\`${DEFAULTS.validateTimeout}\``);
  assert.equal(defaultOf('notify-timeout'), `\`${DEFAULTS.notifyTimeout}\``);
  assert.equal(defaultOf('debounce'), `\`${DEFAULTS.debounce}\``);
  assert.equal(defaultOf('poll'), `\`${DEFAULTS.poll}\``);
  assert.equal(defaultOf('timeout'), `\`${DEFAULTS.timeout}\``);
  assert.equal(defaultOf('admin-address'), `\`${DEFAULTS.adminAddress}\``);
  assert.equal(defaultOf('admin-port'), `\`${DEFAULTS.adminPort}\``);
  assert.equal(defaultOf('log-level'), `\`${DEFAULTS.logLevel}\``);
});

test('classifyWatcherError finds the kind through causes', () => {
  const inner = new WatcherError('write_failed', 'disk full');
  assert.equal(classifyWatcherError(new Error('outer', { cause: inner })), 'write_failed');
  assert.equal(classifyWatcherError(new Error('plain')), undefined);
});
