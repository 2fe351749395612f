// The exporter's counters, kept as plain numbers by the tailer and the shipper; the app turns them
// into Prometheus metrics when scraped (apps/log-exporter/src/metrics.ts).
import type { FailureReason, RejectReason } from './sinks/sink.ts';

export class ShipStats {
  linesRead = 0;
  bytesRead = 0;
  linesTruncated = 0;
  linesShipped = 0;
  /** Lines of send attempts that failed and are retried, by reason. */
  readonly linesFailed = new Map<FailureReason, number>();
  /** Lines set aside in the dead-letter file, by reason. */
  readonly linesDeadLettered = new Map<RejectReason, number>();
  /** Lines of deleted files given up at maxOpenFiles before they were read; see bytesLost. */
  linesLost = 0;
  /** Unread bytes of such files, and of losses whose lines are unknown (never opened): see LossReason. */
  bytesLost = 0;
  /** Files truncated in place (copytruncate), read again from their start. */
  fileTruncations = 0;
  /** When a sink last acknowledged a batch, ms since the epoch; 0 = never. */
  lastSuccessMs = 0;
  positionsWrites = 0;
  positionsWriteErrors = 0;

  addFailed(reason: FailureReason, lines: number): void {
    this.linesFailed.set(reason, (this.linesFailed.get(reason) ?? 0) + lines);
  }

  addDeadLettered(reason: RejectReason, lines: number): void {
    this.linesDeadLettered.set(reason, (this.linesDeadLettered.get(reason) ?? 0) + lines);
  }

  get totalFailed(): number {
    let n = 0;
    for (const v of this.linesFailed.values()) n += v;
    return n;
  }

  get totalDeadLettered(): number {
    let n = 0;
    for (const v of this.linesDeadLettered.values()) n += v;
    return n;
  }
}
