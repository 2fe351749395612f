// The retry schedule of a failing source: exponential, capped, with jitter. Pure (the random
// source is a parameter so tests can pin it).

export interface BackoffPolicy {
  /** Delay after the first failure, in ms. */
  initialMs: number;
  /** The delay never grows past this, in ms. */
  maxMs: number;
  /** 0..1: the fraction of each delay that is randomised away (0 = none, 1 = "full jitter"). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, jitter: 0.5 };

/**
 * The delay before the next attempt after `failures` consecutive failures (1 = the first).
 * Jitter matters here: every pod of a Deployment polls the same endpoint, and after an outage they
 * would otherwise all retry in the same instant.
 */
export function planBackoff(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const step = Math.max(0, Math.min(failures - 1, 30)); // 2^30 already exceeds any sane cap
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** step);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.max(0, Math.round(ceiling * (1 - jitter * random())));
}
