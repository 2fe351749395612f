// Writes access-log lines to stdout and/or a file off the hot path: write() formats one line and
// hands it to a pino SonicBoom per destination, which buffers in memory and writes asynchronously.
// A destination that cannot be opened rejects `ready`, so the proxy can refuse to start.
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import pino from 'pino';
import { formatAccessLogLine, type AccessLogRecord } from './access-log-record.ts';
import { OutriggerError } from './error-kinds.ts';

/**
 * A stuck disk or a stalled stdout reader must not grow the heap without bound: past this many
 * buffered bytes per destination, lines are dropped and counted in `droppedLines`.
 */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/**
 * Lines are collected here and handed to the destination in one piece of about this size (or
 * FLUSH_MS after the first line of a quiet batch): each hand-over costs one write on Node's
 * worker thread, which under load cost more CPU than formatting the lines (bench/RESULTS.md).
 */
export const BATCH_BYTES = 64 * 1024;
/** A line waits at most this long before it is written out. */
export const FLUSH_MS = 250;
/** Room past BATCH_BYTES so that a typical line (a few hundred bytes) never makes a batch hand over early. */
const BATCH_SLACK = 16 * 1024;
const NEWLINE = 0x0a;
// SonicBoom joins batches that queue up behind a slow write into writes of up to this size.
const MAX_WRITE = 1024 * 1024;

export interface AccessLogOptions {
  stdout?: boolean;
  /** Created with its parent directories if missing; appended to if present. */
  file?: string;
  /** Every destination failure: at start (which also rejects `ready`) or later (disk full, reader gone). */
  onError?: (err: OutriggerError) => void;
  /** Per destination; default MAX_BUFFERED_BYTES. */
  maxBufferedBytes?: number;
  /** Roll the file at this size: access.log -> access.log.1 -> ... (renamed, never copy-truncated). Default 100 MiB. */
  maxFileBytes?: number;
  /** Rolled files kept (access.log.1 ... access.log.N); older ones are deleted. Default 5. */
  maxFiles?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 5;

export interface AccessLog {
  /** Resolves when every destination is open; rejects with a log_destination_unavailable error naming it. */
  readonly ready: Promise<void>;
  /** Never blocks and never throws; after close() it does nothing. */
  write(record: AccessLogRecord): void;
  /**
   * Resolves once every line written so far has reached its destination, or at once for a
   * destination that failed at start; rejects if a write fails meanwhile. Bound it with a deadline.
   */
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly droppedLines: number;
}

type Target = { kind: 'stdout' } | { kind: 'file'; path: string };

interface Sink {
  readonly ready: Promise<void>;
  write(line: string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface SinkOptions {
  onError: (err: OutriggerError) => void;
  onDrop: () => void;
  maxLength: number;
  maxFileBytes: number;
  maxFiles: number;
}

/**
 * access.log.(N-1) -> access.log.N, ..., access.log -> access.log.1: each file keeps its inode, so a
 * tailer that follows inodes (the log exporter, Fluent Bit, Promtail) reads the old one to its end.
 */
function rollFiles(path: string, maxFiles: number): void {
  if (!existsSync(path)) return; // nothing to roll yet: shifting the others would lose one
  rmSync(`${path}.${maxFiles}`, { force: true });
  for (let n = maxFiles - 1; n >= 1; n--) {
    if (existsSync(`${path}.${n}`)) renameSync(`${path}.${n}`, `${path}.${n + 1}`);
  }
  renameSync(path, `${path}.1`);
}

function openSink(target: Target, { onError, onDrop, maxLength, maxFileBytes, maxFiles }: SinkOptions): Sink {
  const where = target.kind === 'file' ? `access log file ${target.path}` : 'access log on stdout';
  const stream = target.kind === 'file'
    ? pino.destination({ dest: target.path, sync: false, mkdir: true, maxLength, maxWrite: MAX_WRITE, contentMode: 'buffer' })
    : pino.destination({ fd: 1, sync: false, maxLength, maxWrite: MAX_WRITE, contentMode: 'buffer' });
  // The batch being collected: each line is encoded into this buffer as it is written (no string
  // is kept, joined or encoded again later), and the filled part is handed over as it is.
  let batch = Buffer.allocUnsafeSlow(BATCH_BYTES + BATCH_SLACK);
  let batchBytes = 0;
  const flusher = setInterval(() => {
    if (batchBytes > 0) handOver();
  }, FLUSH_MS);
  flusher.unref();
  // A process that exits without close() still writes its last batch (pino writes what the
  // stream holds at exit the same way, synchronously).
  const onExit = (): void => {
    if (batchBytes === 0 || failed || !opened) return;
    handOver();
    try {
      stream.flushSync();
    } catch {
      // exiting anyway: nothing left to report to
    }
  };
  process.on('exit', onExit);
  let opened = false;
  let failed = false; // nothing more can be written: open failed, or the stdout reader went away
  let closing = false;
  // Bytes the stream accepted (not dropped) and bytes it has written: flush() waits for equality.
  let accepted = 0;
  let written = 0;
  let dropping = false; // set by the stream's 'drop' during the write() that dropped a batch
  let lastError: unknown;
  let waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  const settle = (err?: OutriggerError): void => {
    const ws = waiters;
    waiters = [];
    for (const w of ws) if (err) w.reject(err); else w.resolve();
  };

  const ready = new Promise<void>((resolve, reject) => {
    stream.once('ready', () => {
      opened = true;
      resolve();
    });
    stream.on('error', (err: Error & { code?: string }) => {
      // pino's EPIPE filter re-emits the first other error, so the same error can arrive twice.
      if (err === lastError) return;
      lastError = err;
      const wrapped = new OutriggerError('log_destination_unavailable', `${opened ? 'cannot write' : 'cannot open'} ${where}: ${err.message}`, { cause: err });
      if (!opened || err.code === 'EPIPE') failed = true;
      if (!opened) {
        // pino flushes async destinations synchronously at exit; one that never opened has no
        // fd and would throw from that exit hook, so disarm it as pino disarms a broken pipe.
        stream.flushSync = () => {};
        reject(wrapped);
        settle(); // the failure is reported through `ready`; flush has nothing left to wait for
      } else {
        settle(wrapped);
      }
      onError(wrapped);
    });
  });
  ready.catch(() => {}); // reported through `ready` and onError; must not become an unhandled rejection
  stream.on('write', (n: number) => {
    written += n;
    if (written >= accepted) settle();
  });
  stream.on('close', () => settle()); // end() wrote the rest and closed
  // A dropped piece is a whole batch: count its lines.
  stream.on('drop', (data: Buffer) => {
    dropping = true;
    for (let i = data.indexOf(NEWLINE); i !== -1; i = data.indexOf(NEWLINE, i + 1)) onDrop();
  });
  // Bytes in the current file: what it had when opened, plus what we handed over since.
  let fileBytes = target.kind === 'file' && existsSync(target.path) ? statSync(target.path).size : 0;
  // While SonicBoom reopens, lines keep buffering; the new file does not exist until it is
  // 'ready' again, so a second roll waits for that.
  let reopening = false;
  stream.on('ready', () => (reopening = false));
  const roll = (path: string): void => {
    try {
      rollFiles(path, maxFiles);
      reopening = true;
      stream.reopen(); // SonicBoom finishes the write in flight, then opens a fresh file at path
      fileBytes = 0;
    } catch (err) {
      onError(new OutriggerError('log_destination_unavailable', `cannot roll ${where}: ${(err as Error).message}`, { cause: err }));
      fileBytes = 0; // keep writing to the current file; try again after another maxFileBytes
    }
  };

  function handOver(): void {
    const data = batch.subarray(0, batchBytes);
    const bytes = batchBytes;
    // The stream keeps `data` until it is written: the next lines go to a fresh buffer.
    batch = Buffer.allocUnsafeSlow(BATCH_BYTES + BATCH_SLACK);
    batchBytes = 0;
    if (failed) return;
    // Roll before a batch would take the file past the limit (a file holds at least one batch).
    if (target.kind === 'file' && fileBytes > 0 && fileBytes + bytes > maxFileBytes && opened && !reopening) roll(target.path);
    dropping = false;
    stream.write(data as unknown as string); // contentMode buffer: SonicBoom takes Buffers (pino types it as string)
    if (dropping) return;
    accepted += bytes;
    fileBytes += bytes;
  }

  return {
    ready,
    write(line) {
      if (failed || closing) return;
      // A UTF-16 code unit is at most 3 bytes of UTF-8: make sure the line fits before encoding it.
      if (batchBytes > 0 && batchBytes + line.length * 3 > batch.length) handOver();
      if (line.length * 3 > batch.length) batch = Buffer.allocUnsafeSlow(line.length * 3); // a line longer than a batch
      batchBytes += batch.write(line, batchBytes);
      if (batchBytes >= BATCH_BYTES) handOver();
    },
    flush() {
      if (batchBytes > 0 && !failed) handOver();
      if (failed || closing || written >= accepted) return Promise.resolve();
      return new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
    },
    close() {
      clearInterval(flusher);
      process.off('exit', onExit);
      if (closing) return Promise.resolve();
      if (batchBytes > 0) handOver();
      closing = true;
      if (failed) return Promise.resolve();
      return new Promise((resolve) => {
        stream.once('close', () => resolve());
        // A write that fails while ending leaves SonicBoom waiting; release the fd and move on.
        stream.once('error', () => {
          if (opened) stream.destroy();
          resolve();
        });
        stream.end(); // writes what is buffered, then closes (fd 1 itself is left open)
      });
    },
  };
}

export function createAccessLog(opts: AccessLogOptions): AccessLog {
  let dropped = 0;
  const sinkOptions: SinkOptions = {
    onError: opts.onError ?? (() => {}),
    onDrop: () => void dropped++,
    maxLength: opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES,
    maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    maxFiles: opts.maxFiles ?? DEFAULT_MAX_FILES,
  };
  const targets: Target[] = [];
  if (opts.stdout) targets.push({ kind: 'stdout' });
  if (opts.file !== undefined) targets.push({ kind: 'file', path: opts.file });
  const sinks = targets.map((t) => openSink(t, sinkOptions));
  const ready = Promise.all(sinks.map((s) => s.ready)).then(() => {});
  ready.catch(() => {});
  let closed = false;

  return {
    ready,
    write(record) {
      if (closed || sinks.length === 0) return;
      const line = formatAccessLogLine(record);
      for (const sink of sinks) sink.write(line);
    },
    async flush() {
      await Promise.all(sinks.map((s) => s.flush()));
    },
    async close() {
      closed = true;
      await Promise.all(sinks.map((s) => s.close()));
    },
    get droppedLines() {
      return dropped;
    },
  };
}
