// When a batch is complete: enough lines, enough bytes, or its first line has waited long enough.
// Pure.

export interface BatchLimits {
  /** Lines per batch, at most. */
  readonly maxLines: number;
  /** Bytes of line text per batch; a batch may pass it by the one line that crossed it. */
  readonly maxBytes: number;
  /** How long the first line of a batch waits for others before the batch is sent anyway, in ms. */
  readonly maxWaitMs: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxLines: 1000, maxBytes: 1024 * 1024, maxWaitMs: 1000 };

export interface BatchFill {
  readonly lines: number;
  readonly bytes: number;
  /** When the first line entered the batch (ms); undefined while empty. */
  readonly firstAtMs: number | undefined;
}

export function isBatchFull(fill: BatchFill, limits: BatchLimits): boolean {
  return fill.lines >= limits.maxLines || fill.bytes >= limits.maxBytes;
}

/** Send now? An empty batch never is; a full or old enough one is. */
export function shouldSendBatch(fill: BatchFill, limits: BatchLimits, nowMs: number): boolean {
  if (fill.lines === 0 || fill.firstAtMs === undefined) return false;
  return isBatchFull(fill, limits) || nowMs - fill.firstAtMs >= limits.maxWaitMs;
}

/** How long until the batch is old enough to send (ms, 0 = now); Infinity while empty. */
export function batchWaitLeft(fill: BatchFill, limits: BatchLimits, nowMs: number): number {
  if (fill.lines === 0 || fill.firstAtMs === undefined) return Number.POSITIVE_INFINITY;
  return Math.max(0, fill.firstAtMs + limits.maxWaitMs - nowMs);
}
