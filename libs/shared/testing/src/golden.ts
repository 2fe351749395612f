// Golden files for tests: compare against testdata/<file>, rewrite it when UPDATE_GOLDEN=1, and on a
// mismatch fail with a unified diff (the comparison of libs/shared/netfilter's plan-capture.spec.ts).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Asserts that dir/file holds `actual`; with UPDATE_GOLDEN=1 writes it first. */
export function checkGolden(dir: string, file: string, actual: string): void {
  const path = join(dir, file);
  const name = relative(join(dir, '..'), path);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  let expected: string;
  try {
    expected = readFileSync(path, 'utf8');
  } catch {
    assert.fail(`missing golden file ${name}; run with UPDATE_GOLDEN=1 to create it`);
  }
  if (expected !== actual) assert.fail(`${name} differs (UPDATE_GOLDEN=1 rewrites it):\n${unifiedDiff(expected, actual, name)}`);
}

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

export function unifiedDiff(expected: string, actual: string, name: string, context = 3): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  // Longest common subsequence lengths from the end; goldens are small, O(n*m) is fine.
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  const at = (i: number, j: number) => lcs[i]?.[j] ?? 0;
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lcs[i];
      if (row) row[j] = a[i] === b[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ kind: ' ', line: a[i] ?? '', a: i++, b: j++ });
    // Deletions before insertions, as diff -u prints a changed line.
    else if (i < a.length && (j === b.length || at(i + 1, j) >= at(i, j + 1))) ops.push({ kind: '-', line: a[i] ?? '', a: i++, b: j });
    else ops.push({ kind: '+', line: b[j] ?? '', a: i, b: j++ });
  }
  // Hunks: each change with `context` unchanged lines around it, overlapping ones merged.
  const out = [`--- ${name} (golden)`, `+++ ${name} (actual)`];
  let k = 0;
  while (k < ops.length) {
    const first = ops.findIndex((op, n) => n >= k && op.kind !== ' ');
    if (first < 0) break;
    let last = first;
    for (let n = first; n < ops.length && n <= last + 2 * context; n++) if (ops[n]?.kind !== ' ') last = n;
    const hunk = ops.slice(Math.max(0, first - context), Math.min(ops.length, last + context + 1));
    const start = hunk[0] ?? { a: 0, b: 0 };
    const count = (kind: Op['kind']) => hunk.filter((op) => op.kind === ' ' || op.kind === kind).length;
    out.push(`@@ -${start.a + 1},${count('-')} +${start.b + 1},${count('+')} @@`, ...hunk.map((op) => `${op.kind}${op.line}`));
    k = last + context + 1;
  }
  return out.join('\n');
}
