// What every destination implements, and the closed sets of outcomes a send can have. The shipper
// only sees these: a sink never throws, it answers ok, retry (with a reason) or reject.
import type { LogLine } from '../log-line.ts';

export const SINK_KINDS = ['syslog', 'loki', 'elasticsearch', 'http', 'stdout'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

/**
 * Why a send is worth retrying. Bounded: these are metric label values
 * (outrigger_log_exporter_lines_failed_total{reason}) and docs/reference/log-exporter.md lists them.
 */
export const FAILURE_REASONS = [
  'connect_refused', // nobody listens at the address
  'connect_timeout', // no TCP (or TLS) connection within connectTimeout
  'connection_lost', // the connection closed or reset before the batch was acknowledged
  'tls_failed', // TLS handshake or certificate check failed
  'timeout', // no acknowledgement within the request / confirmation timeout
  'http_429', // Too Many Requests
  'http_5xx', // server error, including 503 Service Unavailable
  'http_408', // Request Timeout
  'item_retry', // Elasticsearch: some items of a bulk request failed with 429 or 5xx
  'bad_response', // a 2xx answer that does not parse as the protocol says it must
  'dead_letter_failed', // a rejected batch could not be written to the dead-letter file
  'network', // any other socket error
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Why lines are set aside in the dead-letter file instead of being retried. */
export const REJECT_REASONS = [
  'http_status', // the whole request was refused with a status that retrying cannot fix (4xx, 3xx)
  'item_rejected', // Elasticsearch: the item was refused with a 4xx (mapping error, bad document...)
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Batch {
  /** Increases with every batch a shipper sends; retries of a batch keep it. */
  readonly seq: number;
  readonly lines: readonly LogLine[];
}

export type SendResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retry'; readonly reason: FailureReason; readonly detail?: string; readonly retryAfterMs?: number }
  | { readonly kind: 'reject'; readonly reason: RejectReason; readonly detail: string }
  | {
      /** Some lines were taken, some must be retried, some are refused for good (indices into the batch). */
      readonly kind: 'partial';
      readonly retry: readonly number[];
      readonly rejected: ReadonlyArray<{ readonly index: number; readonly detail: string }>;
      readonly retryAfterMs?: number;
    };

export interface Sink {
  readonly kind: SinkKind;
  /** Delivers a batch; resolves when the destination acknowledged it, or with why not. Never rejects. */
  send(batch: Batch): Promise<SendResult>;
  /**
   * A hint from the shipper: no further batch follows right now (it is idle, or its in-flight
   * limit is reached). A sink that acknowledges in groups (syslog) settles what it holds.
   */
  flush?(): void;
  /** Stops: pending sends resolve (as retry when unacknowledged), connections close. */
  close(): Promise<void>;
}
