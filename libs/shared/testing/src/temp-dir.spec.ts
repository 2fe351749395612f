import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { withTempDir } from './temp-dir.ts';

test('withTempDir removes the directory even when the callback throws', async () => {
  let seen = '';
  await assert.rejects(withTempDir(async (dir) => { seen = dir; throw new Error('boom'); }), /boom/);
  assert.ok(seen.length > 0);
  assert.equal(existsSync(seen), false);
});
