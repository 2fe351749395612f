// Socket errors and HTTP answers -> the closed set of send outcomes (sink.ts). Pure.
import { parseRetryAfter } from '../plan-retry.ts';
import type { FailureReason, SendResult } from './sink.ts';

/** A socket or TLS error as a failure reason (the detail keeps the original code for the log). */
export function classifySocketError(err: unknown): FailureReason {
  const code = String((err as NodeJS.ErrnoException | undefined)?.code ?? '');
  if (code === 'ECONNREFUSED') return 'connect_refused';
  if (code === 'ETIMEDOUT' || code === 'ECONNTIMEOUT') return 'connect_timeout';
  if (['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_DESTROYED', 'ERR_SOCKET_CLOSED'].includes(code)) return 'connection_lost';
  if (/^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/.test(code)) return 'tls_failed';
  if (/socket hang up/i.test(String((err as Error | undefined)?.message))) return 'connection_lost';
  return 'network';
}

export function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  return e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? err);
}

/**
 * An HTTP answer to a whole batch: 2xx taken; 408, 429 and 5xx retried (Retry-After honoured,
 * RFC 9110 allows it on 503 and 429, and on 3xx which we do not follow); any other status would
 * fail the same way again, so the batch is rejected with the status and the start of the body.
 */
export function classifyHttpStatus(status: number, retryAfter: string | undefined, body: string, nowMs: number): SendResult {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const detail = `HTTP ${status}${body ? `: ${body.slice(0, 500).replace(/\s+/g, ' ').trim()}` : ''}`;
  const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
  const retry = (reason: FailureReason): SendResult =>
    retryAfterMs === undefined ? { kind: 'retry', reason, detail } : { kind: 'retry', reason, detail, retryAfterMs };
  if (status === 429) return retry('http_429');
  if (status === 408) return retry('http_408');
  if (status >= 500) return retry('http_5xx');
  return { kind: 'reject', reason: 'http_status', detail };
}
