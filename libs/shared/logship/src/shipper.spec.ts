// The shipper with a scripted sink: positions move only after acknowledgement, retries and
// Retry-After, dead letters, partial answers, positions writes that fail, the in-flight bound, and
// a bounded stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, withTempDir } from '@outrigger/testing';
import type { Clock } from './clock.ts';
import { DeadLetterFile, type DeadLetter, type DeadLetterSink } from './dead-letter.ts';
import type { Positions } from './positions.ts';
import { ShipStats } from './ship-stats.ts';
import { Shipper, type ShipEvent, type ShipperOptions } from './shipper.ts';
import type { Batch, SendResult, Sink } from './sinks/sink.ts';
import { Tailer } from './tailer.ts';
import { seqLines, seqOf } from './testdata/rolling-file.ts';

/** Real time, but sleeps longer than 5 ms are recorded and cut short so retries run fast. */
function quickClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => Date.now(),
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return new Promise((resolve) => {
        const t = setTimeout(resolve, Math.min(ms, 5));
        signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    },
  };
}

class ScriptedSink implements Sink {
  readonly kind = 'http' as const;
  readonly received: number[] = [];
  readonly batches: Batch[] = [];
  script: Array<(b: Batch) => SendResult> = [];
  hold = false;
  #held: Array<() => void> = [];
  async send(batch: Batch): Promise<SendResult> {
    this.batches.push(batch);
    if (this.hold) await new Promise<void>((r) => this.#held.push(r));
    const step = this.script.shift();
    const result = step ? step(batch) : { kind: 'ok' as const };
    if (result.kind === 'ok') for (const l of batch.lines) this.received.push(seqOf(l.text));
    return result;
  }
  release(): void {
    this.hold = false;
    for (const r of this.#held.splice(0)) r();
  }
  async close(): Promise<void> {}
}

interface Setup {
  shipper: Shipper;
  stats: ShipStats;
  events: ShipEvent[];
  saved: Positions[];
  clock: ReturnType<typeof quickClock>;
}

function setup(dir: string, sink: Sink, more: Partial<ShipperOptions> = {}, deadLetter?: DeadLetterSink): Setup {
  const stats = new ShipStats();
  const clock = quickClock();
  const events: ShipEvent[] = [];
  const saved: Positions[] = [];
  const tailer = new Tailer({
    paths: [join(dir, 'access.log*')], exclude: [], maxLineBytes: 4096, readBytes: 64 * 1024, rotateWaitMs: 1000,
    startAt: 'beginning', maxOpenFiles: 16, clock, stats,
  }, undefined);
  const shipper = new Shipper({
    tailer, sink, deadLetter: deadLetter ?? new DeadLetterFile(join(dir, 'dead-letter.ndjson'), 1 << 20, sink.kind, Date.now),
    savePositions: async (p) => void saved.push(p), batch: { maxLines: 100, maxBytes: 1 << 20, maxWaitMs: 20 }, maxInFlight: 2,
    retry: { initialDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 60_000 }, pollIntervalMs: 10, scanIntervalMs: 100,
    checkpointIntervalMs: 10, clock, random: () => 0, stats, onEvent: (e) => events.push(e), ...more,
  });
  return { shipper, stats, events, saved, clock };
}
const fileBytes = (n: number) => Buffer.byteLength(seqLines(0, n));
const lastOffset = (saved: Positions[]) => saved.at(-1)?.files[0]?.offset;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('every line is shipped and the position reaches the end of the file', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'access.log'), seqLines(0, 1000));
    const sink = new ScriptedSink();
    const s = setup(dir, sink);
    s.shipper.start();
    await waitFor(() => s.stats.linesShipped === 1000, 'all shipped');
    const stop = await s.shipper.stop(1000);
    assert.deepEqual(sink.received, range(1000));
    assert.ok(sink.batches.every((b) => b.lines.length <= 100));
    assert.equal(lastOffset(s.saved), fileBytes(1000));
    assert.deepEqual(stop, { unacknowledgedBatches: 0, positionsWritten: true });
  });
});

test('failures are retried with growing backoff; the position never passes an unacknowledged batch', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'access.log'), seqLines(0, 50));
    const sink = new ScriptedSink();
    const fail = (): SendResult => ({ kind: 'retry', reason: 'connect_refused', detail: 'down' });
    sink.script = [fail, fail, fail];
    const s = setup(dir, sink);
    s.shipper.start();
    await waitFor(() => s.stats.linesShipped === 50, 'shipped after retries');
    await s.shipper.stop(1000);
    assert.deepEqual(sink.received, range(50));
    assert.equal(s.stats.linesFailed.get('connect_refused'), 150);
    const delays = s.events.flatMap((e) => (e.kind === 'send_failed' ? [e.delayMs] : []));
    assert.deepEqual(delays, [50, 100, 200], 'equal jitter with random() = 0: half of 100, 200, 400');
    assert.ok(s.events.some((e) => e.kind === 'send_recovered' && e.attempts === 4));
    for (const p of s.saved.slice(0, -1)) assert.ok((p.files[0]?.offset ?? 0) === 0 || p.files[0]?.offset === fileBytes(50));
  });
});

test('Retry-After is honoured instead of the backoff', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'access.log'), seqLines(0, 5));
    const sink = new ScriptedSink();
    sink.script = [() => ({ kind: 'retry', reason: 'http_5xx', detail: 'HTTP 503', retryAfterMs: 7000 })];
    const s = setup(dir, sink);
    s.shipper.start();
    await waitFor(() => s.stats.linesShipped === 5, 'shipped');
    await s.shipper.stop(1000);
    assert.ok(s.clock.sleeps.includes(7000), `sleeps: ${s.clock.sleeps.filter((x) => x > 10)}`);
  });
});

test('a rejected batch goes to the dead-letter file with its reason, and the position moves past it', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'access.log'), seqLines(0, 3));
    const sink = new ScriptedSink();
    sink.script = [() => ({ kind: 'reject', reason: 'http_status', detail: 'HTTP 400: bad' })];
    const s = setup(dir, sink);
    s.shipper.start();
    await waitFor(() => s.stats.totalDeadLettered === 3, 'dead-lettered');
    await s.shipper.stop(1000);
    const letters = readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(letters.map((l) => [l.sink, l.reason, l.detail, seqOf(l.line)]), [0, 1, 2].map((i) => ['http', 'http_status', 'HTTP 400: bad', i]));
    assert.equal(lastOffset(s.saved), fileBytes(3));
    assert.equal(s.stats.linesShipped, 0);
  });
});

test('a partial answer: taken lines are done, refused ones dead-lettered, the rest retried alone', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'access.log'), seqLines(0, 4));
    const sink = new ScriptedSink();
    sink.script = [() => ({ kind: 'partial', retry: [1, 3], rejected: [{ index: 2, detail: '400 mapper_parsing_exception: x' }] })];
    const s = setup(dir, sink, { batch: { maxLines: 4, maxBytes: 1 << 20, maxWaitMs: 1000 } });
    s.shipper.start();
    await waitFor(() => s.stats.linesShipped === 3, 'shipped');
    await s.shipper.stop(1000);
    assert.deepEqual(sink.batches.map((b) => b.lines.map((l) => seqOf(l.text))), [[0, 1, 2, 3], [1, 3]]);
    assert.equal(s.stats.linesDeadLettered.get('item_rejected'), 1);
    assert.equal(s.stats.linesFailed.get('item_retry'), 2);
  });
});

test('a dead-letter file that cannot be written holds the position until it can', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'access.log'), seqLines(0, 2));
    const sink = new ScriptedSink();
    sink.script = [() => ({ kind: 'reject', reason: 'http_status', detail: 'HTTP 400' }), () => ({ kind: 'reject', reason: 'http_status', detail: 'HTTP 400' })];
    let failures = 1;
    const written: DeadLetter[] = [];
    const dl: DeadLetterSink = {
      write: async (l) => {
        if (failures-- > 0) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
        written.push(...l);
      },
      close: async () => {},
    };
    const s = setup(dir, sink, {}, dl);
    s.shipper.start();
    await waitFor(() => written.length === 2, 'dead-lettered on the second try');
    await s.shipper.stop(1000);
    assert.equal(s.stats.linesFailed.get('dead_letter_failed'), 2);
    assert.ok(s.events.some((e) => e.kind === 'dead_letter_failed'));
    assert.equal(lastOffset(s.saved), fileBytes(2));
  });
});

test('a positions file that cannot be written is retried at each interval; the first write that works says so', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'access.log'), seqLines(0, 5));
    let failures = 3;
    const saved: Positions[] = [];
    const s = setup(dir, new ScriptedSink(), {
      savePositions: async (p) => {
        if (failures-- > 0) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
        saved.push(p);
      },
    });
    s.shipper.start();
    await waitFor(() => saved.length > 0, 'written once the folder is writable again');
    await s.shipper.stop(1000);
    assert.equal(s.stats.positionsWriteErrors, 3);
    assert.deepEqual(s.events.filter((e) => e.kind.startsWith('positions_')).map((e) => e.kind), [
      'positions_write_failed', 'positions_write_failed', 'positions_write_failed', 'positions_write_recovered',
    ]);
    assert.ok(s.events.some((e) => e.kind === 'positions_write_recovered' && e.failures === 3));
    assert.equal(lastOffset(saved), fileBytes(5));
  });
});

test('at the in-flight limit reading stops: the file is the buffer', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'access.log'), seqLines(0, 20_000));
    const sink = new ScriptedSink();
    sink.hold = true;
    const s = setup(dir, sink, { batch: { maxLines: 100, maxBytes: 1 << 20, maxWaitMs: 1000 }, maxInFlight: 2 });
    s.shipper.start();
    await waitFor(() => sink.batches.length === 2, 'two batches out');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sink.batches.length, 2, 'no third batch while two are unacknowledged');
    // Read from disk at most: two batches, one more being filled, and one read chunk of lines.
    assert.ok(s.stats.linesRead <= 300 + Math.ceil((64 * 1024) / 45), `read ${s.stats.linesRead}`);
    assert.equal(lastOffset(s.saved) ?? 0, 0, 'nothing acknowledged, nothing committed');
    sink.release();
    await waitFor(() => s.stats.linesShipped === 20_000, 'all shipped once released');
    await s.shipper.stop(1000);
    assert.deepEqual(sink.received, range(20_000));
  });
});

test('stop is bounded: an unanswered batch is given up at the deadline and not committed', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'access.log'), seqLines(0, 10));
    const sink = new ScriptedSink();
    sink.hold = true;
    const s = setup(dir, sink);
    s.shipper.start();
    await waitFor(() => sink.batches.length === 1, 'one batch out');
    const started = Date.now();
    const stop = s.shipper.stop(200);
    sink.script = [() => ({ kind: 'retry', reason: 'connection_lost' })]; // what a closed sink answers
    setTimeout(() => sink.release(), 300);
    const result = await stop;
    assert.ok(Date.now() - started < 1000);
    assert.equal(result.unacknowledgedBatches, 1);
    assert.equal(lastOffset(s.saved) ?? 0, 0);
  });
});
