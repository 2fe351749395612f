import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BACKOFF, planBackoff } from './plan-backoff.ts';

const noJitter = { initialMs: 1000, maxMs: 60_000, jitter: 0 };
const cases: Array<[string, number, typeof noJitter, number, number]> = [
  ['first failure: the initial delay', 1, noJitter, 0.5, 1000],
  ['doubles', 2, noJitter, 0.5, 2000],
  ['doubles again', 4, noJitter, 0.5, 8000],
  ['capped', 7, noJitter, 0.5, 60_000],
  ['a huge count stays capped', 5000, noJitter, 0.5, 60_000],
  ['0 failures counts as the first', 0, noJitter, 0.5, 1000],
  ['half jitter, random 0: the full delay', 3, DEFAULT_BACKOFF, 0, 4000],
  ['half jitter, random ~1: half the delay', 3, DEFAULT_BACKOFF, 0.999999, 2000],
  ['full jitter, random 0.25', 2, { initialMs: 100, maxMs: 1000, jitter: 1 }, 0.25, 150],
];
for (const [name, failures, policy, random, want] of cases) {
  test(`planBackoff: ${name}`, () => assert.equal(planBackoff(failures, policy, () => random), want));
}

test('with real randomness every delay stays within [ceiling * (1 - jitter), ceiling]', () => {
  for (let failures = 1; failures < 12; failures++) {
    const ceiling = Math.min(DEFAULT_BACKOFF.maxMs, DEFAULT_BACKOFF.initialMs * 2 ** (failures - 1));
    for (let i = 0; i < 50; i++) {
      const d = planBackoff(failures);
      assert.ok(d >= ceiling / 2 && d <= ceiling, `${d} for ${failures}`);
    }
  }
});
