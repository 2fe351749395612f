// Reads a config directory as one consistent snapshot. In a kubelet ConfigMap/Secret volume each
// visible name is a symlink through `..data` to a timestamped folder that is never modified, only
// replaced: listing and reading that one folder gives the files of one generation even when a swap
// lands mid-read. A plain directory is checked by stat before and after each file instead.
import { lstat, readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isVisibleName, planSnapshot, type ConfigSnapshot } from './plan-snapshot.ts';
import { SourceError } from './source-error.ts';

export interface DirectoryReadOptions {
  /** Only these top-level visible names; default every visible name. A listed name that is absent is left out. */
  files?: readonly string[];
  /** Total size limit in bytes; default 8 MiB (a ConfigMap holds at most 1 MiB). */
  maxBytes?: number;
}

export const DEFAULT_MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024;
const ATTEMPTS = 5;
const MAX_DEPTH = 8; // items with a `path: a/b/c` make subfolders; deeper is a loop or a mistake
const DATA = '..data';

type Entry = [string, Buffer];

interface Read {
  entries: Entry[];
  /** false: something moved while reading; read again. */
  stable: boolean;
}

export async function loadDirectorySnapshot(dir: string, opts: DirectoryReadOptions = {}): Promise<ConfigSnapshot> {
  for (let attempt = 1; ; attempt++) {
    const data = await readDataLink(dir);
    // A generation deleted under us (ENOENT) means a newer one is in place: read that one.
    const read = data === undefined ? await readFolder(dir, dir, opts) : await readFolder(resolve(dir, data), dir, opts).catch(vanished);
    if (read.stable) return planSnapshot(read.entries);
    if (attempt >= ATTEMPTS) throw new SourceError('unreadable', dir, `the directory kept changing during ${ATTEMPTS} reads in a row`);
  }
}

function vanished(err: unknown): Read {
  if (err instanceof SourceError && err.kind === 'not_found') return { entries: [], stable: false };
  throw err;
}

async function readDataLink(dir: string): Promise<string | undefined> {
  try {
    return await readlink(join(dir, DATA));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EINVAL') return undefined; // no ..data, or not a symlink: a plain directory
    throw fsError(dir, err);
  }
}

/** `folder` is the directory itself, or the generation `..data` names (whose names are the visible ones). */
async function readFolder(folder: string, dir: string, opts: DirectoryReadOptions): Promise<Read> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    throw fsError(folder, err);
  }
  const wanted = opts.files;
  const read: Read = { entries: [], stable: true };
  const budget = { left: opts.maxBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES, dir };
  for (const name of names.filter(isVisibleName).sort()) {
    if (wanted && !wanted.includes(name)) continue;
    await collect(join(folder, name), name, 0, read, budget);
  }
  return read;
}

async function collect(path: string, name: string, depth: number, read: Read, budget: { left: number; dir: string }): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(path, err);
    // A dangling symlink is not part of the config; a file listed and then gone is a change in progress.
    const link = await lstat(path).catch(() => undefined);
    if (!link?.isSymbolicLink()) read.stable = false;
    return;
  }
  if (info.isDirectory()) {
    if (depth >= MAX_DEPTH) return;
    let children: string[];
    try {
      children = await readdir(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        read.stable = false;
        return;
      }
      throw fsError(path, err);
    }
    for (const child of children.filter(isVisibleName).sort()) await collect(join(path, child), `${name}/${child}`, depth + 1, read, budget);
    return;
  }
  if (!info.isFile()) return; // a FIFO or socket: reading it could block forever
  budget.left -= info.size;
  if (budget.left < 0) throw new SourceError('too_large', budget.dir, 'the files are larger than the size limit');
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      read.stable = false;
      return;
    }
    throw fsError(path, err);
  }
  // A writer that is not atomic (a plain directory edited in place) shows as a size or time change.
  const again = await stat(path).catch(() => undefined);
  if (!again || again.ino !== info.ino || again.size !== content.length || again.mtimeMs !== info.mtimeMs) read.stable = false;
  read.entries.push([name, content]);
}

function fsError(path: string, err: unknown): SourceError {
  const code = (err as NodeJS.ErrnoException).code;
  const kind = code === 'ENOENT' || code === 'ENOTDIR' ? 'not_found' : 'unreadable';
  return new SourceError(kind, path, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`, { cause: err });
}
