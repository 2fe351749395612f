// The positions file's format: where reading resumes in each file after a restart. Pure.
// A file is named by (dev, ino), not by path, because rotation renames it; the fingerprint (a hash
// of its first bytes) tells a file from a later one that reuses a freed inode number.

export interface FilePosition {
  /** st_dev and st_ino as decimal strings: 64-bit inode numbers (XFS, overlayfs) exceed 2^53. */
  readonly dev: string;
  readonly ino: string;
  /** Bytes acknowledged by the sink (or dead-lettered): reading resumes here. */
  readonly offset: number;
  /** Last path seen, for people reading the file and for the lost-bytes estimate of a vanished file. */
  readonly path: string;
  /** Size last seen. */
  readonly size: number;
  /** sha256 (hex) of the first fingerprintBytes bytes of the file. */
  readonly fingerprint: string;
  readonly fingerprintBytes: number;
}

export interface Positions {
  readonly version: 1;
  readonly files: readonly FilePosition[];
}

export type PositionsParse = { ok: true; positions: Positions } | { ok: false; problem: string };

export function fileKey(dev: string | bigint, ino: string | bigint): string {
  return `${dev}:${ino}`;
}

export function renderPositions(positions: Positions): string {
  return `${JSON.stringify({ version: positions.version, files: positions.files }, null, 1)}\n`;
}

const DECIMAL = /^\d{1,20}$/;
const HEX = /^[0-9a-f]{64}$/;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export function parsePositions(text: string): PositionsParse {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `not JSON: ${(err as Error).message}` };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { ok: false, problem: 'not a JSON object' };
  const { version, files } = data as { version?: unknown; files?: unknown };
  if (version !== 1) return { ok: false, problem: `unknown version ${JSON.stringify(version)} (expected 1)` };
  if (!Array.isArray(files)) return { ok: false, problem: 'files: not an array' };
  const out: FilePosition[] = [];
  for (const [i, f] of files.entries()) {
    const e = (f ?? {}) as Record<string, unknown>;
    const bad = (field: string) => ({ ok: false as const, problem: `files[${i}].${field}: invalid` });
    if (typeof e.dev !== 'string' || !DECIMAL.test(e.dev)) return bad('dev');
    if (typeof e.ino !== 'string' || !DECIMAL.test(e.ino)) return bad('ino');
    if (!isCount(e.offset)) return bad('offset');
    if (typeof e.path !== 'string') return bad('path');
    if (!isCount(e.size)) return bad('size');
    if (typeof e.fingerprint !== 'string' || !HEX.test(e.fingerprint)) return bad('fingerprint');
    if (!isCount(e.fingerprintBytes)) return bad('fingerprintBytes');
    out.push({ dev: e.dev, ino: e.ino, offset: e.offset, path: e.path, size: e.size, fingerprint: e.fingerprint, fingerprintBytes: e.fingerprintBytes });
  }
  return { ok: true, positions: { version: 1, files: out } };
}
