// The dead-letter file: lines a destination refused for good (a 4xx, a rejected bulk item), one
// JSON object per line with the reason, so nothing disappears silently and they can be replayed.
// Synced before the shipper moves past the lines; past maxBytes it is renamed to <file>.1.
import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import type { LogLine } from './log-line.ts';
import type { RejectReason, SinkKind } from './sinks/sink.ts';

export interface DeadLetter {
  readonly line: LogLine;
  readonly reason: RejectReason;
  readonly detail: string;
}

export interface DeadLetterSink {
  write(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

export function renderDeadLetter(letter: DeadLetter, sink: SinkKind, timeIso: string): string {
  const record: Record<string, unknown> = { time: timeIso, sink, reason: letter.reason, detail: letter.detail, line: letter.line.text };
  if (letter.line.truncatedFrom !== undefined) record.truncated_from = letter.line.truncatedFrom;
  return `${JSON.stringify(record)}\n`;
}

export class DeadLetterFile implements DeadLetterSink {
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #sink: SinkKind;
  readonly #now: () => number;
  #fh: FileHandle | undefined;
  #size = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor(path: string, maxBytes: number, sink: SinkKind, now: () => number) {
    this.#path = path;
    this.#maxBytes = maxBytes;
    this.#sink = sink;
    this.#now = now;
  }

  /** Appends and syncs; rejects when the disk refuses (the shipper then retries the batch later). */
  write(letters: readonly DeadLetter[]): Promise<void> {
    const run = this.#queue.then(() => this.#append(letters));
    this.#queue = run.catch(() => {}); // one write at a time, in order; a failure does not block the next
    return run;
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#fh?.close().catch(() => {});
    this.#fh = undefined;
  }

  async #append(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const time = new Date(this.#now()).toISOString();
    const text = letters.map((l) => renderDeadLetter(l, this.#sink, time)).join('');
    const bytes = Buffer.byteLength(text);
    if (!this.#fh) await this.#open();
    if (this.#size > 0 && this.#size + bytes > this.#maxBytes) {
      await this.#fh?.close();
      this.#fh = undefined;
      await rename(this.#path, `${this.#path}.1`);
      await this.#open();
    }
    const fh = this.#fh as FileHandle;
    await fh.appendFile(text, 'utf8');
    await fh.datasync();
    this.#size += bytes;
  }

  async #open(): Promise<void> {
    this.#fh = await open(this.#path, 'a', 0o644);
    this.#size = (await stat(this.#path)).size;
  }
}
