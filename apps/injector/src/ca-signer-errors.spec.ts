// The signer's error kinds: docs/reference/cli.md is the contract clients read, so it must list
// exactly the catalogue, with the same statuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SIGNER_ERRORS, SignerError } from './ca-signer-errors.ts';

test('cli.md lists every signer error kind with its status, and nothing else', () => {
  const text = readFileSync(new URL('../../../docs/reference/cli.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf('## outrigger-injector ca-signer'));
  const rows = section.split('\n').filter((l) => /^\| `[a-z_]+` \| \d{3} \|/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
  assert.deepEqual(rows.map((r) => [r[1], Number(r[2])]), Object.entries(SIGNER_ERRORS).map(([kind, info]) => [`\`${kind}\``, info.status]));
});

test('a SignerError carries its kind and the status of its kind', () => {
  const err = new SignerError('identity_mismatch', 'no');
  assert.deepEqual([err.kind, err.status, err.name, err.message], ['identity_mismatch', 403, 'SignerError', 'no']);
});
