// When to try a failed batch again: exponential backoff with jitter, or the server's Retry-After.
// Pure: the random source and the current time are arguments.

export interface RetryPolicy {
  /** Delay before the first retry, in ms; it doubles with each failed attempt. */
  readonly initialDelayMs: number;
  /** Cap of the exponential delay, in ms. */
  readonly maxDelayMs: number;
  /** Cap of a server's Retry-After, in ms, so a bogus header cannot park the exporter for days. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialDelayMs: 250, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };

/**
 * Delay before retry number `attempt` (1 = the first retry). Without Retry-After: "equal jitter",
 * a uniform pick in [d/2, d] for d = min(max, initial * 2^(attempt-1)), so many exporters that
 * lost the same aggregator do not come back in step, yet each still waits at least half the
 * backoff. With Retry-After the server said when to come back: wait that long (capped), plus up to
 * 10% so a fleet does not return in the same millisecond.
 */
export function planRetryDelay(attempt: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) {
    const base = Math.min(retryAfterMs, policy.maxRetryAfterMs);
    return Math.round(base + base * 0.1 * random());
  }
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const full = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  return Math.round(full / 2 + (full / 2) * random());
}

/**
 * Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date. Milliseconds from now, or
 * undefined when absent or malformed (the caller then backs off on its own).
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined; // "1.5", "-3": not a date either
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, at - nowMs);
}
