// Reads and writes the positions file. A write is atomic and durable: a temporary file in the same
// directory, fsync, rename over the old one, fsync of the directory (so the rename itself survives
// a power cut). A crash at any point leaves the old file or the new one, never a mix.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parsePositions, renderPositions, type Positions } from './positions.ts';

export type PositionsRead =
  | { kind: 'missing' }
  | { kind: 'ok'; positions: Positions }
  | { kind: 'corrupt'; problem: string };

export async function readPositionsFile(path: string): Promise<PositionsRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
  const parsed = parsePositions(text);
  return parsed.ok ? { kind: 'ok', positions: parsed.positions } : { kind: 'corrupt', problem: parsed.problem };
}

/** Moves an unreadable positions file aside (kept for a human to look at) and returns its new name. */
export async function setAsideCorrupt(path: string, nowMs: number): Promise<string> {
  const aside = `${path}.corrupt-${nowMs}`;
  await rename(path, aside);
  return aside;
}

/** Where a write of path starts: beside it, so that the rename is atomic. */
const tmpPath = (path: string) => join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);

export async function writePositionsFile(path: string, positions: Positions): Promise<void> {
  const dir = dirname(path);
  const tmp = tmpPath(path);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(renderPositions(positions), 'utf8');
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Creates the folder of path and creates (then removes) the temporary file a write starts with.
 * A folder that exists may still refuse new files (a read-only mount, sysfs, permissions); found
 * only at the first checkpoint, the exporter would ship lines it can never checkpoint.
 */
export async function ensureWritableDir(path: string): Promise<void> {
  const dir = dirname(path);
  const probe = tmpPath(path);
  try {
    await mkdir(dir, { recursive: true });
    await (await open(probe, 'w', 0o644)).close();
    await rm(probe, { force: true });
  } catch (err) {
    throw new Error(`cannot create files in ${dir}: ${(err as Error).message}`, { cause: err });
  }
}
