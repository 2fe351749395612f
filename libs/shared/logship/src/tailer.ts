// Follows the files a glob matches, through rename rotation, and hands out their complete lines.
// Files are tracked by (dev, ino), never by name: rotation renames `access.log` to `access.log.1`
// and the same inode is read on to its end.
import { open, type FileHandle } from 'node:fs/promises';
import type { Clock } from './clock.ts';
import { countLinesFrom, hashHead, listFiles } from './file-scan.ts';
import type { LogLine } from './log-line.ts';
import { isRotatedAway, planReadOrder } from './plan-read-order.ts';
import { fileKey, type FilePosition, type Positions } from './positions.ts';
import type { ShipStats } from './ship-stats.ts';
import { emptyOutput, LineSplitter, type SplitOutput } from './split-lines.ts';

export interface TailerOptions {
  /** Globs of the files to follow, e.g. /var/log/outrigger/access.log* */
  readonly paths: readonly string[];
  /** Globs matched against the file name alone; a match is never read (compressed rotations). */
  readonly exclude: readonly string[];
  readonly maxLineBytes: number;
  /** Size of one read() from a file. */
  readonly readBytes: number;
  /** How long a rotated file must stay unchanged before its unterminated last line is shipped and it is let go. */
  readonly rotateWaitMs: number;
  /** Where to start in files found at the very first start (no positions file yet). */
  readonly startAt: 'beginning' | 'end';
  /**
   * Files held open at once. Past it a new file waits, unopened, and a deleted file still unread is
   * given up to make room for it. Counted as lost: the rest of a file given up, and a waiting file
   * deleted before it could be opened.
   */
  readonly maxOpenFiles: number;
  readonly clock: Clock;
  readonly stats: ShipStats;
  readonly onEvent?: (event: TailEvent) => void;
}

export type TailEvent =
  | { kind: 'file_opened'; path: string; offset: number; resumed: boolean }
  | { kind: 'file_renamed'; from: string; to: string }
  | { kind: 'file_gone'; path: string; unreadBytes: number }
  | { kind: 'file_closed'; path: string }
  | { kind: 'file_truncated'; path: string }
  | { kind: 'position_reset'; path: string; reason: 'fingerprint_mismatch' | 'shorter_than_offset' }
  | { kind: 'lines_lost'; path: string; lines: number | undefined; bytes: number; reason: LossReason }
  | { kind: 'too_many_files'; path: string; maxOpenFiles: number };

/**
 * Why bytes were never read: a deleted file given up at maxOpenFiles, a file waiting for a free
 * slot that was deleted before it was opened, or one that vanished (or whose inode a new file
 * reuses) while the exporter was stopped. Lines are known only for the first: the others were
 * never open to count them.
 */
export const LOSS_REASONS = ['deleted_unread', 'deleted_while_waiting', 'vanished_while_stopped'] as const;
export type LossReason = (typeof LOSS_REASONS)[number];

/** What the shipper needs to know of a tracked file: to build the positions file and the lag. */
export interface TrackedView {
  /** Unique per opening of a file: the ledger's key, so a later file that reuses the inode is not confused with it. */
  readonly id: string;
  readonly dev: string;
  readonly ino: string;
  readonly path: string;
  readonly size: number;
  /** Where reading started (resume offset, or 0 / the size for new files): the position until a batch commits. */
  readonly startOffset: number;
  readonly fingerprint: string;
  readonly fingerprintBytes: number;
}

export interface TailRead {
  readonly lines: LogLine[];
  /** Per tracked-file id, the offset just past the last line returned from it. */
  readonly ends: Map<string, number>;
}

interface Tracked extends TrackedView {
  path: string;
  startOffset: number;
  size: number;
  fingerprint: string;
  fingerprintBytes: number;
  readonly fh: FileHandle;
  readonly splitter: LineSplitter;
  readonly seen: number;
  readOffset: number;
  mtimeMs: number;
  gone: boolean;
  atEof: boolean;
  lastChangeAt: number;
}

/** Fingerprint length: long enough that two access logs never share it (a timestamp is in the first line). */
export const FINGERPRINT_BYTES = 1024;

/**
 * Every tracked file stays open: a deleted file stays readable to its end, and its inode number
 * cannot be reused by a new file while we still know it.
 */
export class Tailer {
  readonly #opts: TailerOptions;
  readonly #files = new Map<string, Tracked>(); // by dev:ino
  readonly #ready: Array<{ id: string; out: SplitOutput; next: number }> = [];
  readonly #buf: Buffer;
  /** Saved positions not matched to a file yet. */
  readonly #saved: Map<string, FilePosition>;
  /** Files listed but not opened (maxOpenFiles), by dev:ino, with what the last listing said. */
  readonly #waiting = new Map<string, { path: string; size: number }>();
  readonly #hadPositions: boolean;
  #firstScan = true;
  #opened = 0;
  #warnedFull = false;

  /** `saved`: the positions file's content, or undefined when there was none (first start). */
  constructor(opts: TailerOptions, saved: Positions | undefined) {
    this.#opts = opts;
    this.#buf = Buffer.allocUnsafe(opts.readBytes);
    this.#saved = new Map((saved?.files ?? []).map((f) => [fileKey(f.dev, f.ino), f]));
    this.#hadPositions = saved !== undefined;
  }

  files(): TrackedView[] {
    return [...this.#files.values()];
  }

  /** Finds new, renamed, grown, truncated and vanished files. Call when reads come back empty. */
  async scan(): Promise<void> {
    const now = this.#opts.clock.now();
    const matches = await listFiles(this.#opts.paths, this.#opts.exclude);
    const present = new Set(matches.map((m) => fileKey(m.dev, m.ino)));
    // Gone first: a file deleted since the last scan may have to make room for a new one.
    for (const f of this.#files.values()) {
      if (!present.has(fileKey(f.dev, f.ino)) && !f.gone) {
        f.gone = true;
        this.#emit({ kind: 'file_gone', path: f.path, unreadBytes: f.size - f.readOffset });
      }
    }
    for (const [key, w] of this.#waiting) if (!present.has(key)) this.#loseWaiting(key, w);
    for (const m of matches) {
      const key = fileKey(m.dev, m.ino);
      const f = this.#files.get(key);
      if (!f) {
        // Not opened (the limit, or a rename between listing and open): it waits for the next scan.
        if ((await this.#track(m.path, m.size, now)) === key) this.#waiting.delete(key);
        else this.#waiting.set(key, { path: m.path, size: m.size });
      } else if (f.path !== m.path || f.gone) {
        this.#emit({ kind: 'file_renamed', from: f.path, to: m.path });
        f.path = m.path;
        f.gone = false;
      }
    }
    if (this.#firstScan) await this.#afterFirstScan(present);
    for (const f of [...this.#files.values()]) await this.#refresh(f, now);
  }

  /** Up to maxLines lines (and about maxBytes bytes) available now; none when every file is read to its end. */
  async read(maxLines: number, maxBytes: number): Promise<TailRead> {
    const result: TailRead = { lines: [], ends: new Map() };
    let bytes = 0;
    while (result.lines.length < maxLines && bytes < maxBytes) {
      let head = this.#ready[0];
      if (!head) {
        const f = planReadOrder([...this.#files.values()].filter((x) => !x.atEof))[0];
        if (!f) break;
        const out = await this.#readChunk(f);
        if (!out) continue;
        head = { id: f.id, out, next: 0 };
        this.#ready.push(head);
      }
      const { out } = head;
      while (head.next < out.lines.length && result.lines.length < maxLines && bytes < maxBytes) {
        const line = out.lines[head.next] as LogLine;
        result.lines.push(line);
        bytes += line.bytes;
        result.ends.set(head.id, out.ends[head.next] as number);
        head.next++;
      }
      if (head.next >= out.lines.length) {
        result.ends.set(head.id, out.end); // also covers empty lines after the last one returned
        this.#ready.shift();
      }
    }
    return result;
  }

  async close(): Promise<void> {
    for (const f of this.#files.values()) await f.fh.close().catch(() => {});
    this.#files.clear();
  }

  async #readChunk(f: Tracked): Promise<SplitOutput | undefined> {
    const want = this.#buf.length;
    const { bytesRead } = await f.fh.read(this.#buf, 0, want, f.readOffset);
    if (bytesRead < want) f.atEof = true; // a short read of a regular file: its end, for now
    if (bytesRead === 0) return undefined;
    f.readOffset += bytesRead;
    if (f.readOffset > f.size) f.size = f.readOffset;
    const out = emptyOutput(f.splitter.consumed);
    f.splitter.push(this.#buf.subarray(0, bytesRead), out);
    this.#count(out);
    return out;
  }

  #count(out: SplitOutput): void {
    const stats = this.#opts.stats;
    stats.linesRead += out.lines.length;
    for (const line of out.lines) {
      stats.bytesRead += line.bytes;
      if (line.truncatedFrom !== undefined) stats.linesTruncated++;
    }
  }

  /** Size, growth, truncation; ships the unterminated tail of a quiet rotated file; lets go of gone, read files. */
  async #refresh(f: Tracked, now: number): Promise<void> {
    let st;
    try {
      st = await f.fh.stat();
    } catch {
      return;
    }
    if (st.size < f.readOffset) {
      // Truncated in place (copytruncate): what was written since our last read is gone. Start
      // over under a new id so batches still in flight from before cannot move its position.
      this.#opts.stats.fileTruncations++;
      this.#emit({ kind: 'file_truncated', path: f.path });
      this.#files.delete(fileKey(f.dev, f.ino));
      await f.fh.close().catch(() => {});
      if (!f.gone) await this.#track(f.path, st.size, now, 0);
      return;
    }
    if (st.size !== f.size || st.mtimeMs !== f.mtimeMs) f.lastChangeAt = now;
    f.size = st.size;
    f.mtimeMs = st.mtimeMs;
    if (st.size > f.readOffset) f.atEof = false;
    if (f.fingerprintBytes < FINGERPRINT_BYTES && st.size > f.fingerprintBytes) await this.#fingerprint(f);
    const quiet = f.atEof && f.readOffset === f.size && now - f.lastChangeAt >= this.#opts.rotateWaitMs;
    if (!quiet || !isRotatedAway(f.path, f.gone)) return;
    if (f.splitter.pendingBytes > 0) {
      // The writer moved on mid-line (it crashed, or the line was cut at rotation): ship what there is.
      const out = emptyOutput(f.splitter.consumed);
      f.splitter.finish(out);
      this.#count(out);
      this.#ready.push({ id: f.id, out, next: 0 });
    }
    if (f.gone) {
      this.#files.delete(fileKey(f.dev, f.ino));
      await f.fh.close().catch(() => {});
      this.#emit({ kind: 'file_closed', path: f.path });
    }
  }

  /** Opens and follows the file; its dev:ino, or undefined when it could not be opened now. */
  async #track(path: string, size: number, now: number, forcedOffset?: number): Promise<string | undefined> {
    if (this.#files.size >= this.#opts.maxOpenFiles) await this.#abandonGone();
    if (this.#files.size >= this.#opts.maxOpenFiles) {
      if (!this.#warnedFull) this.#emit({ kind: 'too_many_files', path, maxOpenFiles: this.#opts.maxOpenFiles });
      this.#warnedFull = true;
      return undefined;
    }
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch {
      return undefined; // rotated away between the listing and the open: the next scan finds it by its new name
    }
    const st = await fh.stat({ bigint: true });
    const key = fileKey(st.dev, st.ino);
    if (this.#files.has(key)) {
      await fh.close(); // renamed onto a name we had not seen yet: the same file, already tracked
      return key;
    }
    const f: Tracked = {
      id: `${key}#${++this.#opened}`, dev: String(st.dev), ino: String(st.ino), path, fh,
      size: Number(st.size), mtimeMs: Number(st.mtimeMs), startOffset: 0, readOffset: 0,
      fingerprint: '', fingerprintBytes: 0, splitter: new LineSplitter(this.#opts.maxLineBytes, 0),
      seen: this.#opened, gone: false, atEof: false, lastChangeAt: now,
    };
    await this.#fingerprint(f);
    const offset = forcedOffset ?? (await this.#startOffset(f, key, size));
    f.startOffset = offset;
    f.readOffset = offset;
    f.splitter.reset(offset);
    this.#files.set(key, f);
    this.#emit({ kind: 'file_opened', path, offset, resumed: offset > 0 });
    return key;
  }

  async #startOffset(f: Tracked, key: string, sizeAtListing: number): Promise<number> {
    const saved = this.#saved.get(key);
    if (saved) {
      this.#saved.delete(key);
      if (saved.fingerprintBytes > f.size || (await hashHead(f.fh, saved.fingerprintBytes)) !== saved.fingerprint) {
        // A new file that reuses the inode number of one we knew: that one vanished while we were stopped.
        this.#emit({ kind: 'position_reset', path: f.path, reason: 'fingerprint_mismatch' });
        this.#loseSaved(saved);
        return 0;
      }
      if (saved.offset > f.size) {
        this.#emit({ kind: 'position_reset', path: f.path, reason: 'shorter_than_offset' });
        return 0;
      }
      return saved.offset;
    }
    // Only at the very first start can we choose to skip history; later files are read whole.
    return this.#firstScan && !this.#hadPositions && this.#opts.startAt === 'end' ? sizeAtListing : 0;
  }

  async #afterFirstScan(present: Set<string>): Promise<void> {
    this.#firstScan = false;
    for (const [key, saved] of this.#saved) {
      if (present.has(key)) continue; // listed but not opened (maxOpenFiles): resumed when it is
      this.#saved.delete(key);
      this.#loseSaved(saved);
    }
  }

  /** A file known only from the positions file is gone: what it held past the saved offset is lost. */
  #loseSaved(saved: FilePosition): void {
    this.#lose(saved.path, undefined, saved.size - saved.offset, 'vanished_while_stopped');
  }

  /** A waiting file vanished before a slot freed up: lost from its saved offset, if any, to its size when last listed. */
  #loseWaiting(key: string, w: { path: string; size: number }): void {
    this.#waiting.delete(key);
    const from = this.#saved.get(key)?.offset ?? 0;
    this.#saved.delete(key); // else a later file reusing the inode would count it again
    this.#lose(w.path, undefined, w.size - from, 'deleted_while_waiting');
  }

  #lose(path: string, lines: number | undefined, bytes: number, reason: LossReason): void {
    if (bytes <= 0) return;
    if (lines !== undefined) this.#opts.stats.linesLost += lines;
    this.#opts.stats.bytesLost += bytes;
    this.#emit({ kind: 'lines_lost', path, lines, bytes, reason });
  }

  /** Gives up deleted files that still had unread bytes, oldest first, counting what is lost. */
  async #abandonGone(): Promise<void> {
    const gone = planReadOrder([...this.#files.values()].filter((f) => f.gone));
    for (const f of gone) {
      if (this.#files.size < this.#opts.maxOpenFiles) return;
      const bytes = f.size - f.readOffset + f.splitter.pendingBytes;
      const lines = (await countLinesFrom(f.fh, f.readOffset, this.#buf)) + (f.splitter.pendingBytes > 0 ? 1 : 0);
      this.#files.delete(fileKey(f.dev, f.ino));
      await f.fh.close().catch(() => {});
      this.#lose(f.path, lines, bytes, 'deleted_unread');
      this.#emit({ kind: 'file_closed', path: f.path });
    }
  }

  async #fingerprint(f: Tracked): Promise<void> {
    const n = Math.min(f.size, FINGERPRINT_BYTES);
    f.fingerprint = await hashHead(f.fh, n);
    f.fingerprintBytes = n;
  }

  #emit(event: TailEvent): void {
    this.#opts.onEvent?.(event);
  }
}
