// Bytes of one file -> complete lines with the file offset just past each one. Pure and
// incremental: chunks may split a line (or a UTF-8 character) anywhere, and the result is the same.
// A line longer than maxLineBytes keeps its first maxLineBytes bytes and is marked, never dropped.
import type { LogLine } from './log-line.ts';

export interface SplitOutput {
  lines: LogLine[];
  /** ends[i]: file offset just past lines[i]'s terminator, i.e. where a reader resumes after it. */
  ends: number[];
  /** Offset just past the last terminator consumed, including empty lines that produced no LogLine. */
  end: number;
}

export function emptyOutput(end: number): SplitOutput {
  return { lines: [], ends: [], end };
}

const NL = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  readonly #maxLineBytes: number;
  /** Bytes of the current, unterminated line (at most maxLineBytes are kept). */
  #carry: Buffer[] = [];
  #carryBytes = 0;
  /** Full length of the current line so far, including bytes beyond the kept head. */
  #lineBytes = 0;
  /** File offset of the first byte not yet part of an emitted line. */
  #consumed: number;

  constructor(maxLineBytes: number, offset = 0) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    this.#maxLineBytes = maxLineBytes;
    this.#consumed = offset;
  }

  /** Offset up to which every line has been emitted: where a restart would resume reading. */
  get consumed(): number {
    return this.#consumed;
  }

  /** Bytes seen after the last terminator (the line being written now). */
  get pendingBytes(): number {
    return this.#lineBytes;
  }

  /** Splits the next chunk of the file; appends complete lines to out. */
  push(chunk: Buffer, out: SplitOutput): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl === -1) {
        this.#keep(chunk, start, chunk.length);
        return;
      }
      let full: number;
      if (this.#lineBytes === 0) {
        full = nl - start; // the common case: the whole line is in this chunk
        this.#emit(chunk, start, nl, full, 1, out);
      } else {
        this.#keep(chunk, start, nl);
        full = this.#lineBytes;
        const head = this.#carry.length === 1 ? (this.#carry[0] as Buffer) : Buffer.concat(this.#carry, this.#carryBytes);
        this.#emit(head, 0, head.length, full, 1, out);
        this.#carry = [];
        this.#carryBytes = 0;
        this.#lineBytes = 0;
      }
      this.#consumed += full + 1;
      out.end = this.#consumed;
      start = nl + 1;
    }
  }

  /**
   * Emits the unterminated rest as a last line: for a file that will not grow any more (rotated
   * away and quiet), whose writer stopped mid-line.
   */
  finish(out: SplitOutput): void {
    if (this.#lineBytes === 0) return;
    const head = Buffer.concat(this.#carry, this.#carryBytes);
    this.#emit(head, 0, head.length, this.#lineBytes, 0, out);
    this.#consumed += this.#lineBytes;
    this.#carry = [];
    this.#carryBytes = 0;
    this.#lineBytes = 0;
    out.end = this.#consumed;
  }

  /** Starts over at offset (the file was truncated in place). */
  reset(offset: number): void {
    this.#carry = [];
    this.#carryBytes = 0;
    this.#lineBytes = 0;
    this.#consumed = offset;
  }

  #keep(chunk: Buffer, from: number, to: number): void {
    const room = this.#maxLineBytes - this.#carryBytes;
    const take = Math.min(room, to - from);
    if (take > 0) {
      // Copy: the caller reuses its read buffer, and a kept slice would pin the whole chunk.
      this.#carry.push(Buffer.from(chunk.subarray(from, from + take)));
      this.#carryBytes += take;
    }
    this.#lineBytes += to - from;
  }

  /**
   * line = buf[from, to) with `full` bytes in the file (more than to - from when it was cut),
   * followed by `terminator` bytes (1 for the newline, 0 for the rest of a finished file).
   */
  #emit(buf: Buffer, from: number, to: number, full: number, terminator: number, out: SplitOutput): void {
    let end = Math.min(to, from + this.#maxLineBytes);
    const truncated = full > this.#maxLineBytes;
    if (truncated) {
      end = charBoundary(buf, from, end);
    } else if (end > from && buf[end - 1] === CR) {
      end--;
    }
    if (end === from && !truncated) return; // an empty line: nothing to ship, the offset still advances
    const line: LogLine = truncated
      ? { text: buf.toString('utf8', from, end), bytes: full, truncatedFrom: full }
      : { text: buf.toString('utf8', from, end), bytes: full };
    out.lines.push(line);
    out.ends.push(this.#consumed + full + terminator);
  }
}

/** The largest end' <= end such that buf[from, end') holds no partial UTF-8 character at its end. */
export function charBoundary(buf: Buffer, from: number, end: number): number {
  let lead = end - 1;
  while (lead >= from && lead > end - 4 && ((buf[lead] as number) & 0xc0) === 0x80) lead--;
  if (lead < from) return end; // only continuation bytes: not UTF-8 anyway, keep them
  const b = buf[lead] as number;
  const size = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead + size > end ? lead : end;
}
