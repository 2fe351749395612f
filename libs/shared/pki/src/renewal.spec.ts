// The rotation schedule: the fraction, the jitter bounds, backdated certificates and bad policies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRenewal, renewalPolicyProblem } from './renewal.ts';

const T0 = new Date('2030-01-15T12:00:00Z').getTime();
const HOUR = 3600_000;
const at = (ms: number) => new Date(T0 + ms);
const base = { obtainedAt: at(0), notBefore: at(0), notAfter: at(24 * HOUR), renewAt: 0.5, jitter: 0.1 };

test('planRenewal renews at renewAt of the lifetime, spread by at most jitter', () => {
  assert.deepEqual(planRenewal({ ...base, random: () => 0.5 }), at(12 * HOUR));
  assert.deepEqual(planRenewal({ ...base, random: () => 0 }), at(Math.floor(24 * HOUR * 0.4)));
  assert.ok(planRenewal({ ...base, random: () => 0.999999 }).getTime() <= at(Math.floor(24 * HOUR * 0.6)).getTime());
  for (let i = 0; i < 200; i++) {
    const when = planRenewal(base).getTime() - T0;
    assert.ok(when >= 0.4 * 24 * HOUR && when <= 0.6 * 24 * HOUR, `${when}`);
  }
});

test('planRenewal measures the lifetime from when the certificate arrived, not its backdated notBefore', () => {
  // A 10 s certificate backdated 5 minutes: from notBefore, half its "lifetime" is long past expiry.
  const short = { obtainedAt: at(0), notBefore: at(-5 * 60_000), notAfter: at(10_000), renewAt: 0.5, jitter: 0, random: () => 0.5 };
  assert.deepEqual(planRenewal(short), at(5000));
});

test('planRenewal returns the start when the certificate is already past its end', () => {
  assert.deepEqual(planRenewal({ ...base, obtainedAt: at(25 * HOUR) }), at(25 * HOUR));
});

test('renewalPolicyProblem accepts the defaults and names a broken policy', () => {
  assert.equal(renewalPolicyProblem(0.5, 0.1), undefined);
  assert.match(renewalPolicyProblem(1.5, 0) ?? '', /renewAt must be a fraction/);
  assert.match(renewalPolicyProblem(0.5, 0.6) ?? '', /jitter must be at least 0/);
  assert.match(renewalPolicyProblem(0.5, -0.1) ?? '', /jitter must be at least 0/);
  assert.match(renewalPolicyProblem(Number.NaN, 0) ?? '', /renewAt/);
});
