// Golden files for specs: compare, or rewrite with UPDATE_GOLDEN=1; a mismatch fails with a
// unified diff. Imported by specs only.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unifiedDiff } from './unified-diff.ts';

export function assertGolden(file: string, actual: string): void {
  const path = join(import.meta.dirname, file);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, 'utf8');
  } catch {
    assert.fail(`missing golden file testdata/${file}; run with UPDATE_GOLDEN=1 to create it`);
  }
  if (expected !== actual) assert.fail(`testdata/${file} differs (UPDATE_GOLDEN=1 rewrites it):\n${unifiedDiff(expected, actual, `testdata/${file}`)}`);
}
