// The pipeline: tailer -> batches -> sink, with retries, dead letters and the positions file.
// At-least-once: a position moves only past batches acknowledged (or dead-lettered), in order.
// Bounded: at maxInFlight unacknowledged batches it stops reading; the files are the buffer.
import type { Clock } from './clock.ts';
import type { DeadLetter, DeadLetterSink } from './dead-letter.ts';
import type { LogLine } from './log-line.ts';
import { CheckpointLedger } from './checkpoint-ledger.ts';
import { batchWaitLeft, shouldSendBatch, type BatchFill, type BatchLimits } from './plan-batch.ts';
import { planRetryDelay, type RetryPolicy } from './plan-retry.ts';
import { renderPositions, type FilePosition, type Positions } from './positions.ts';
import type { ShipStats } from './ship-stats.ts';
import type { FailureReason, RejectReason, Sink } from './sinks/sink.ts';
import type { Tailer } from './tailer.ts';

export interface ShipperOptions {
  readonly tailer: Tailer;
  readonly sink: Sink;
  readonly deadLetter: DeadLetterSink;
  /** Persists the positions (atomically); called at most every checkpointIntervalMs, and at stop. */
  readonly savePositions: (positions: Positions) => Promise<void>;
  readonly batch: BatchLimits;
  /** Batches sent and not yet acknowledged, at most. */
  readonly maxInFlight: number;
  readonly retry: RetryPolicy;
  /** How long to wait when every file is read to its end before looking again. */
  readonly pollIntervalMs: number;
  /** Look for new and rotated files at least this often even while busy. */
  readonly scanIntervalMs: number;
  readonly checkpointIntervalMs: number;
  readonly clock: Clock;
  readonly random?: () => number;
  readonly stats: ShipStats;
  readonly onEvent?: (event: ShipEvent) => void;
}

export type ShipEvent =
  | { kind: 'send_failed'; seq: number; lines: number; reason: FailureReason; detail: string | undefined; attempt: number; delayMs: number }
  | { kind: 'send_recovered'; seq: number; attempts: number }
  | { kind: 'dead_lettered'; seq: number; lines: number; reason: RejectReason; detail: string }
  | { kind: 'dead_letter_failed'; seq: number; error: Error }
  | { kind: 'positions_write_failed'; error: Error }
  | { kind: 'positions_write_recovered'; failures: number };

export interface StopResult {
  /** Batches still unacknowledged at the deadline: read again at the next start. */
  readonly unacknowledgedBatches: number;
  readonly positionsWritten: boolean;
}

interface OpenBatch {
  lines: LogLine[];
  bytes: number;
  firstAtMs: number | undefined;
  ends: Map<string, number>;
}

const newBatch = (): OpenBatch => ({ lines: [], bytes: 0, firstAtMs: undefined, ends: new Map() });
const fillOf = (b: OpenBatch): BatchFill => ({ lines: b.lines.length, bytes: b.bytes, firstAtMs: b.firstAtMs });

export class Shipper {
  readonly #o: ShipperOptions;
  readonly #ledger = new CheckpointLedger();
  readonly #inFlight = new Map<number, Promise<void>>();
  readonly #stopSignal = new AbortController(); // ends idle waits and the checkpoint loop
  readonly #hardStop = new AbortController(); // the shutdown deadline: give up retrying
  #seq = 0;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;
  #checkpointing: Promise<void> | undefined;
  #lastWritten = '';
  #positionsFailures = 0; // since the last write that succeeded

  constructor(opts: ShipperOptions) {
    this.#o = opts;
  }

  start(): void {
    this.#running ??= this.#loop();
    this.#checkpointing ??= this.#checkpointLoop();
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** What the positions file would say now. */
  positions(): Positions {
    const files: FilePosition[] = this.#o.tailer.files().map((f) => ({
      dev: f.dev, ino: f.ino, offset: this.#ledger.committed(f.id) ?? f.startOffset, path: f.path,
      size: f.size, fingerprint: f.fingerprint, fingerprintBytes: f.fingerprintBytes,
    }));
    return { version: 1, files };
  }

  /** Bytes in the followed files not yet acknowledged. */
  lagBytes(): number {
    let lag = 0;
    for (const f of this.positions().files) lag += Math.max(0, f.size - f.offset);
    return lag;
  }

  /**
   * Stops reading, sends what was read, waits up to timeoutMs for acknowledgements, then writes
   * the positions file. Lines unacknowledged at the deadline are read again at the next start.
   */
  async stop(timeoutMs: number): Promise<StopResult> {
    const deadline = this.#o.clock.now() + timeoutMs;
    this.#stopSignal.abort();
    this.#wakeUp();
    await this.#running;
    await this.#checkpointing;
    this.#o.sink.flush?.();
    const settled = Promise.all(this.#inFlight.values()).then(() => {});
    const timer = new AbortController();
    await Promise.race([settled, this.#o.clock.sleep(Math.max(0, deadline - this.#o.clock.now()), timer.signal)]);
    timer.abort();
    const unacknowledgedBatches = this.#inFlight.size;
    this.#hardStop.abort();
    await this.#o.sink.close(); // pending sends resolve as retries, which the hard stop turns into give-ups
    const grace = new AbortController();
    await Promise.race([settled, this.#o.clock.sleep(1000, grace.signal)]); // a sink that does not settle must not hang the stop
    grace.abort();
    const positionsWritten = await this.#writePositions();
    await this.#o.deadLetter.close();
    await this.#o.tailer.close();
    return { unacknowledgedBatches, positionsWritten };
  }

  async #loop(): Promise<void> {
    const { tailer, clock, batch: limits } = this.#o;
    let batch = newBatch();
    let lastScan = clock.now();
    let scannedSinceData = true;
    await tailer.scan();
    while (!this.#stopSignal.signal.aborted) {
      if (clock.now() - lastScan >= this.#o.scanIntervalMs) {
        await tailer.scan(); // also while blocked: sizes for the lag, new files opened before rotation deletes them
        lastScan = clock.now();
      }
      if (this.#inFlight.size >= this.#o.maxInFlight) {
        this.#o.sink.flush?.(); // nothing more can go out until acknowledgements come back
        await this.#waitWake(this.#o.scanIntervalMs);
        continue;
      }
      const got = await tailer.read(limits.maxLines - batch.lines.length, limits.maxBytes - batch.bytes);
      const now = clock.now();
      if (got.lines.length > 0) {
        batch.firstAtMs ??= now;
        for (const line of got.lines) {
          batch.lines.push(line);
          batch.bytes += line.bytes;
        }
        scannedSinceData = false;
      }
      for (const [id, end] of got.ends) batch.ends.set(id, end);
      if (shouldSendBatch(fillOf(batch), limits, now)) {
        this.#dispatch(batch);
        batch = newBatch();
        continue;
      }
      if (got.lines.length > 0) continue;
      if (!scannedSinceData) {
        await tailer.scan(); // at the end of every file: look for rotations before waiting
        lastScan = clock.now();
        scannedSinceData = true;
        continue;
      }
      if (batch.lines.length === 0 && batch.ends.size > 0) {
        this.#dispatch(batch); // only empty lines: nothing to send, but the position moves
        batch = newBatch();
      }
      this.#o.sink.flush?.();
      await clock.sleep(Math.min(this.#o.pollIntervalMs, batchWaitLeft(fillOf(batch), limits, now)), this.#stopSignal.signal);
      scannedSinceData = false;
    }
    if (batch.lines.length > 0 || batch.ends.size > 0) this.#dispatch(batch);
  }

  #dispatch(batch: OpenBatch): void {
    const seq = this.#seq++;
    this.#ledger.open(seq, batch.ends);
    if (batch.lines.length === 0) {
      this.#ledger.done(seq);
      return;
    }
    const delivery = this.#deliver(seq, batch.lines).then((done) => {
      this.#inFlight.delete(seq);
      if (done) this.#ledger.done(seq);
      this.#wakeUp();
    });
    this.#inFlight.set(seq, delivery);
  }

  /** Sends until acknowledged or dead-lettered (true), or until the shutdown deadline (false). */
  async #deliver(seq: number, lines: readonly LogLine[]): Promise<boolean> {
    const { sink, stats, clock } = this.#o;
    let pending = lines;
    for (let attempt = 1; ; attempt++) {
      if (this.#hardStop.signal.aborted) return false;
      const result = await sink.send({ seq, lines: pending });
      let failure: { reason: FailureReason; detail?: string; retryAfterMs?: number };
      if (result.kind === 'ok') {
        this.#shipped(seq, pending.length, attempt);
        return true;
      } else if (result.kind === 'reject') {
        if (await this.#deadLetter(seq, pending.map((line) => ({ line, reason: result.reason, detail: result.detail })))) return true;
        failure = { reason: 'dead_letter_failed' };
      } else if (result.kind === 'partial') {
        this.#shipped(seq, pending.length - result.retry.length - result.rejected.length, attempt);
        const letters = result.rejected.map((r) => ({ line: pending[r.index] as LogLine, reason: 'item_rejected' as const, detail: r.detail }));
        const lettered = await this.#deadLetter(seq, letters);
        const again = lettered ? result.retry : [...result.retry, ...result.rejected.map((r) => r.index)];
        pending = again.map((i) => pending[i] as LogLine);
        if (pending.length === 0) return true;
        failure = { reason: lettered ? 'item_retry' : 'dead_letter_failed', retryAfterMs: result.retryAfterMs };
      } else {
        failure = result;
      }
      stats.addFailed(failure.reason, pending.length);
      const delayMs = planRetryDelay(attempt, this.#o.retry, this.#o.random ?? Math.random, failure.retryAfterMs);
      this.#o.onEvent?.({ kind: 'send_failed', seq, lines: pending.length, reason: failure.reason, detail: failure.detail, attempt, delayMs });
      await clock.sleep(delayMs, this.#hardStop.signal);
    }
  }

  #shipped(seq: number, lines: number, attempt: number): void {
    if (lines <= 0) return;
    this.#o.stats.linesShipped += lines;
    this.#o.stats.lastSuccessMs = this.#o.clock.now();
    if (attempt > 1) this.#o.onEvent?.({ kind: 'send_recovered', seq, attempts: attempt });
  }

  async #deadLetter(seq: number, letters: DeadLetter[]): Promise<boolean> {
    if (letters.length === 0) return true;
    try {
      await this.#o.deadLetter.write(letters);
    } catch (err) {
      this.#o.onEvent?.({ kind: 'dead_letter_failed', seq, error: err as Error });
      return false;
    }
    for (const l of letters) this.#o.stats.addDeadLettered(l.reason, 1);
    const first = letters[0] as DeadLetter;
    this.#o.onEvent?.({ kind: 'dead_lettered', seq, lines: letters.length, reason: first.reason, detail: first.detail });
    return true;
  }

  async #checkpointLoop(): Promise<void> {
    while (!this.#stopSignal.signal.aborted) {
      await this.#o.clock.sleep(this.#o.checkpointIntervalMs, this.#stopSignal.signal);
      if (!this.#stopSignal.signal.aborted) await this.#writePositions();
    }
  }

  /** Writes the positions file when it changed; true when it holds the current positions. */
  async #writePositions(): Promise<boolean> {
    this.#ledger.retain(new Set(this.#o.tailer.files().map((f) => f.id)));
    const positions = this.positions();
    const text = renderPositions(positions);
    if (text === this.#lastWritten) return true;
    try {
      await this.#o.savePositions(positions);
      this.#lastWritten = text;
      this.#o.stats.positionsWrites++;
      if (this.#positionsFailures > 0) this.#o.onEvent?.({ kind: 'positions_write_recovered', failures: this.#positionsFailures });
      this.#positionsFailures = 0;
      return true;
    } catch (err) {
      this.#o.stats.positionsWriteErrors++;
      this.#positionsFailures++;
      this.#o.onEvent?.({ kind: 'positions_write_failed', error: err as Error });
      return false;
    }
  }

  /** Until a delivery finishes or stop() is called, or at most maxMs. */
  async #waitWake(maxMs: number): Promise<void> {
    const timer = new AbortController();
    const woken = new Promise<void>((resolve) => (this.#wake = resolve));
    await Promise.race([woken, this.#o.clock.sleep(maxMs, timer.signal)]);
    timer.abort();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
