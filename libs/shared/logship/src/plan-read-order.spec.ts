// Oldest first: gone files, then mtime, then rotation number, then discovery order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRotatedAway, planReadOrder, rotationNumber } from './plan-read-order.ts';

const f = (path: string, mtimeMs: number, seen: number, gone = false) => ({ path, mtimeMs, seen, gone });

test('numbered rotation in one clock tick: highest number first, the live file last', () => {
  const order = planReadOrder([f('/l/access.log', 5, 1), f('/l/access.log.1', 5, 2), f('/l/access.log.3', 5, 4), f('/l/access.log.2', 5, 3)]);
  assert.deepEqual(order.map((x) => x.path), ['/l/access.log.3', '/l/access.log.2', '/l/access.log.1', '/l/access.log']);
});

test('a deleted file still held open comes before everything; then older mtime', () => {
  const order = planReadOrder([f('/l/access.log', 9, 3), f('/l/access.log.1', 4, 2), f('/l/access.log.4', 1, 1, true)]);
  assert.deepEqual(order.map((x) => x.path), ['/l/access.log.4', '/l/access.log.1', '/l/access.log']);
});

test('dated logrotate names order by mtime; ties by discovery', () => {
  const order = planReadOrder([f('/l/app.log', 3, 3), f('/l/app.log-20250102', 2, 2), f('/l/app.log-20250101', 1, 1), f('/l/b.log', 3, 0)]);
  assert.deepEqual(order.map((x) => x.path), ['/l/app.log-20250101', '/l/app.log-20250102', '/l/b.log', '/l/app.log']);
});

test('rotation numbers and rotated-away names', () => {
  assert.equal(rotationNumber('/l/access.log'), 0);
  assert.equal(rotationNumber('/l/access.log.12'), 12);
  assert.equal(rotationNumber('/l/access.log-20250101'), 0);
  assert.equal(isRotatedAway('/l/access.log', false), false);
  assert.equal(isRotatedAway('/l/access.log', true), true);
  assert.equal(isRotatedAway('/l/access.log.1', false), true);
  assert.equal(isRotatedAway('/l/access.log-20250101', false), true);
});
