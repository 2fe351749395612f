// Which tracked file to read first: the oldest. Pure.

// A file that vanished from the glob (deleted, or rotated out of it while we still hold it open)
// is older than any still in place; then older modification time first; on a tie (mtime has the
// kernel's coarse clock granularity, and a fast writer rolls several files in one tick) the higher
// rotation number is older (`access.log.3` before `access.log.1` before `access.log`), and the
// file seen first is older.

export interface ReadCandidate {
  readonly path: string;
  readonly gone: boolean;
  readonly mtimeMs: number;
  /** Order in which the tailer first saw the file. */
  readonly seen: number;
}

/** `access.log.12` -> 12; `access.log` (or a date suffix) -> 0. */
export function rotationNumber(path: string): number {
  const match = /\.(\d{1,6})$/.exec(path);
  return match ? Number(match[1]) : 0;
}

export function planReadOrder<T extends ReadCandidate>(files: readonly T[]): T[] {
  return [...files].sort(
    (a, b) =>
      Number(b.gone) - Number(a.gone) ||
      a.mtimeMs - b.mtimeMs ||
      rotationNumber(b.path) - rotationNumber(a.path) ||
      a.seen - b.seen,
  );
}

/**
 * A file that rotation moved away from its live name: numbered or dated suffix, or gone. Its
 * writer has moved on, so once it stays quiet for rotateWait its unterminated tail is a last line.
 */
export function isRotatedAway(path: string, gone: boolean): boolean {
  return gone || /\.\d{1,6}$/.test(path) || /-\d{8,14}$/.test(path);
}
