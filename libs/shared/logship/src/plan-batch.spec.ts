// Batches go out when full by lines or bytes, or when their first line has waited maxWait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchWaitLeft, shouldSendBatch } from './plan-batch.ts';

const limits = { maxLines: 10, maxBytes: 1000, maxWaitMs: 500 };
const cases: Array<[string, { lines: number; bytes: number; firstAtMs: number | undefined }, number, boolean, number]> = [
  ['empty never goes', { lines: 0, bytes: 0, firstAtMs: undefined }, 10_000, false, Infinity],
  ['young and small waits', { lines: 3, bytes: 100, firstAtMs: 1000 }, 1200, false, 300],
  ['full by lines', { lines: 10, bytes: 100, firstAtMs: 1000 }, 1000, true, 500],
  ['full by bytes', { lines: 1, bytes: 1000, firstAtMs: 1000 }, 1000, true, 500],
  ['old enough', { lines: 1, bytes: 1, firstAtMs: 1000 }, 1500, true, 0],
];
for (const [name, fill, now, send, left] of cases) {
  test(`batch: ${name}`, () => {
    assert.equal(shouldSendBatch(fill, limits, now), send);
    assert.equal(batchWaitLeft(fill, limits, now), left);
  });
}
