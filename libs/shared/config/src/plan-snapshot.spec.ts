import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVisibleName, planDiff, planSnapshot, renderDiffSummary } from './plan-snapshot.ts';

const snap = (files: Record<string, string>) => planSnapshot(Object.entries(files).map(([n, t]) => [n, Buffer.from(t)] as const));

test('the hash depends on names and contents, not on the order they were read in', () => {
  assert.equal(snap({ a: '1', b: '2' }).hash, snap({ b: '2', a: '1' }).hash);
  assert.notEqual(snap({ a: '1', b: '2' }).hash, snap({ a: '1', b: '3' }).hash);
  assert.notEqual(snap({ a: '1' }).hash, snap({ b: '1' }).hash);
  assert.deepEqual([...snap({ b: '2', a: '1' }).files.keys()], ['a', 'b']);
});

test('moving bytes from one file to the next changes the hash', () => {
  assert.notEqual(snap({ a: 'xy', b: 'z' }).hash, snap({ a: 'x', b: 'yz' }).hash);
});

const names: Array<[string, boolean]> = [
  ['app.yaml', true], ['.hidden', true], ['a..b', true], ['..data', false], ['..data_tmp', false],
  ['..2024_05_01_10_00_00.123456789', false], ['', false], ['.', false], ['..', false],
];
for (const [name, visible] of names) {
  test(`isVisibleName(${JSON.stringify(name)}) = ${visible}`, () => assert.equal(isVisibleName(name), visible));
}

test('planDiff names added, removed and changed files with line counts', () => {
  const before = snap({ 'app.yaml': 'a: 1\nb: 2\nc: 3\n', 'old.yaml': 'x\ny\n', 'same.txt': 'same' });
  const after = snap({ 'app.yaml': 'a: 1\nb: 20\nc: 3\nd: 4\n', 'new.yaml': 'n\n', 'same.txt': 'same' });
  const diff = planDiff(before, after);
  assert.deepEqual(diff, {
    added: [{ name: 'new.yaml', lines: 1 }],
    removed: [{ name: 'old.yaml', lines: 2 }],
    changed: [{ name: 'app.yaml', linesBefore: 3, linesAfter: 4, linesAdded: 2, linesRemoved: 1 }],
    unchanged: 1,
  });
  assert.equal(renderDiffSummary(diff), 'app.yaml changed (+2 -1 lines, 3 -> 4); new.yaml added (1 lines); old.yaml removed (2 lines)');
});

test('planDiff from nothing: every file is added; an equal snapshot is "no changes"', () => {
  const s = snap({ a: 'one\ntwo', b: '' });
  assert.deepEqual(planDiff(undefined, s).added, [{ name: 'a', lines: 2 }, { name: 'b', lines: 0 }]);
  assert.equal(renderDiffSummary(planDiff(s, s)), 'no changes');
});

test('repeated lines are counted as a multiset', () => {
  const diff = planDiff(snap({ f: 'x\nx\ny\n' }), snap({ f: 'x\ny\ny\n' }));
  assert.deepEqual(diff.changed[0], { name: 'f', linesBefore: 3, linesAfter: 3, linesAdded: 1, linesRemoved: 1 });
});
