// A config snapshot: the visible files of a source at one instant, hashed so that a real change is
// told from a touch or a no-op kubelet swap, and the diff summary a reload logs. Pure.
import { createHash } from 'node:crypto';

export interface ConfigSnapshot {
  /** Visible file names ('/'-separated, relative to the source) -> contents, sorted by name. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** sha256 (hex) over every name and content: equal hashes mean the same config. */
  readonly hash: string;
}

/**
 * The kubelet keeps its machinery under names starting with `..` (`..data`, `..data_tmp`,
 * `..2024_05_01_10_00_00.123456789`); a ConfigMap key can never start with `..`, so every other
 * name is part of the config.
 */
export function isVisibleName(name: string): boolean {
  return name !== '' && name !== '.' && !name.startsWith('..');
}

export function planSnapshot(entries: Iterable<readonly [string, Buffer]>): ConfigSnapshot {
  const files = new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const hash = createHash('sha256');
  for (const [name, content] of files) {
    // Length-prefixed, so that moving bytes from one file to the next changes the hash.
    hash.update(`${name}\0${content.length}\0`);
    hash.update(content);
  }
  return { files, hash: hash.digest('hex') };
}

export interface FileLines {
  name: string;
  lines: number;
}

export interface FileChange {
  name: string;
  linesBefore: number;
  linesAfter: number;
  /** Lines of the new file not found in the old one, and the reverse (as multisets, not a full diff). */
  linesAdded: number;
  linesRemoved: number;
}

export interface SnapshotDiff {
  added: FileLines[];
  removed: FileLines[];
  changed: FileChange[];
  unchanged: number;
}

function splitLines(content: Buffer): string[] {
  if (content.length === 0) return [];
  const text = content.toString('utf8');
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

function countChange(name: string, before: Buffer, after: Buffer): FileChange {
  const old = splitLines(before);
  const next = splitLines(after);
  const pool = new Map<string, number>();
  for (const line of old) pool.set(line, (pool.get(line) ?? 0) + 1);
  let linesAdded = 0;
  for (const line of next) {
    const left = pool.get(line) ?? 0;
    if (left > 0) pool.set(line, left - 1);
    else linesAdded++;
  }
  let linesRemoved = 0;
  for (const left of pool.values()) linesRemoved += left;
  return { name, linesBefore: old.length, linesAfter: next.length, linesAdded, linesRemoved };
}

/** What changed from `before` (undefined: nothing yet) to `after`, file by file. */
export function planDiff(before: ConfigSnapshot | undefined, after: ConfigSnapshot): SnapshotDiff {
  const diff: SnapshotDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  const old = before?.files ?? new Map<string, Buffer>();
  for (const [name, content] of after.files) {
    const previous = old.get(name);
    if (previous === undefined) diff.added.push({ name, lines: splitLines(content).length });
    else if (previous.equals(content)) diff.unchanged++;
    else diff.changed.push(countChange(name, previous, content));
  }
  for (const [name, content] of old) {
    if (!after.files.has(name)) diff.removed.push({ name, lines: splitLines(content).length });
  }
  return diff;
}

/** One line for a log message: `app.yaml changed (+2 -1 lines, 10 -> 11); extra.yaml added (3 lines)`. */
export function renderDiffSummary(diff: SnapshotDiff): string {
  const parts = [
    ...diff.changed.map((c) => `${c.name} changed (+${c.linesAdded} -${c.linesRemoved} lines, ${c.linesBefore} -> ${c.linesAfter})`),
    ...diff.added.map((a) => `${a.name} added (${a.lines} lines)`),
    ...diff.removed.map((r) => `${r.name} removed (${r.lines} lines)`),
  ];
  return parts.length > 0 ? parts.join('; ') : 'no changes';
}
