// The ledger moves a file's position only over a prefix of finished batches, whatever the order
// in which they finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointLedger } from './checkpoint-ledger.ts';

test('out-of-order completion commits only the finished prefix', () => {
  const l = new CheckpointLedger();
  l.open(0, new Map([['a', 100]]));
  l.open(1, new Map([['a', 200]]));
  l.open(2, new Map([['a', 250], ['b', 40]]));
  l.done(2);
  l.done(1);
  assert.equal(l.committed('a'), undefined, 'batch 0 is still out');
  assert.equal(l.openBatches, 3);
  l.done(0);
  assert.equal(l.committed('a'), 250);
  assert.equal(l.committed('b'), 40);
  assert.equal(l.openBatches, 0);
});

test('every completion order of five batches ends at the last offsets, never beyond an open batch', () => {
  const orders = [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3], [1, 3, 0, 4, 2]];
  for (const order of orders) {
    const l = new CheckpointLedger();
    for (let s = 0; s < 5; s++) l.open(s, new Map([['f', (s + 1) * 10]]));
    const done = new Set<number>();
    for (const s of order) {
      l.done(s);
      done.add(s);
      let prefix = 0;
      while (done.has(prefix)) prefix++;
      assert.equal(l.committed('f'), prefix === 0 ? undefined : prefix * 10, `order ${order} after ${s}`);
    }
  }
});

test('sequence numbers must increase; unknown and repeated completions are ignored; version moves on commit', () => {
  const l = new CheckpointLedger();
  l.open(5, new Map([['a', 1]]));
  assert.throws(() => l.open(5, new Map()), RangeError);
  const v = l.version;
  l.done(99);
  assert.equal(l.version, v);
  l.done(5);
  l.done(5);
  assert.equal(l.version, v + 1);
  l.retain(new Set(['b']));
  assert.equal(l.committed('a'), undefined);
});
