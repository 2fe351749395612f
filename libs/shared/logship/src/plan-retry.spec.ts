// Backoff with jitter and Retry-After: bounds for every attempt, the cap, and the header forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, planRetryDelay } from './plan-retry.ts';

const policy = { initialDelayMs: 100, maxDelayMs: 5000, maxRetryAfterMs: 60_000 };

test('the delay doubles per attempt, between half and all of the step, up to the cap', () => {
  const steps = [100, 200, 400, 800, 1600, 3200, 5000, 5000];
  for (const [i, step] of steps.entries()) {
    assert.equal(planRetryDelay(i + 1, policy, () => 0), step / 2, `attempt ${i + 1} low`);
    assert.equal(planRetryDelay(i + 1, policy, () => 0.999999), Math.round(step / 2 + (step / 2) * 0.999999), `attempt ${i + 1} high`);
  }
  assert.equal(planRetryDelay(1000, policy, () => 1), 5000, 'huge attempts stay at the cap');
  assert.equal(planRetryDelay(0, policy, () => 0), 50, 'attempt 0 is treated as the first');
});

test('jitter spreads delays: many draws are not all equal', () => {
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const draws = new Set(Array.from({ length: 50 }, () => planRetryDelay(5, policy, random)));
  assert.ok(draws.size > 20);
  for (const d of draws) assert.ok(d >= 800 && d <= 1600);
});

test('Retry-After wins over backoff, plus at most 10%, and is capped', () => {
  assert.equal(planRetryDelay(1, policy, () => 0, 2000), 2000);
  assert.equal(planRetryDelay(1, policy, () => 1, 2000), 2200);
  assert.equal(planRetryDelay(9, policy, () => 0, 0), 0);
  assert.equal(planRetryDelay(1, policy, () => 0, 10 * 60_000), 60_000);
  assert.equal(planRetryDelay(1, DEFAULT_RETRY_POLICY, () => 0, 86_400_000), DEFAULT_RETRY_POLICY.maxRetryAfterMs);
});

const now = Date.parse('2025-01-02T03:04:05Z');
const headers: Array<[string | undefined, number | undefined]> = [
  ['3', 3000], [' 120 ', 120_000], ['0', 0], [undefined, undefined], ['', undefined], ['-1', undefined], ['1.5', undefined], ['soon', undefined],
  ['Thu, 02 Jan 2025 03:04:15 GMT', 10_000], ['Thu, 02 Jan 2025 03:04:00 GMT', 0],
];
for (const [value, want] of headers) {
  test(`Retry-After ${JSON.stringify(value)} -> ${want}`, () => assert.equal(parseRetryAfter(value, now), want));
}
