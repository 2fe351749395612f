// Reads a config directory as one consistent snapshot. In a kubelet ConfigMap/Secret volume each
// visible name is a symlink through `..data` to a timestamped folder: reading every file through the
// folder `..data` named at the start, and checking it still names it at the end, gives the files of
// one generation even when a swap lands mid-read. A plain directory is re-checked by stat instead.
import { lstat, readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
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
    const before = await readDataLink(dir);
    const read = await readOnce(dir, before, opts);
    const after = await readDataLink(dir);
    if (read.stable && before === after) return planSnapshot(read.entries);
    if (attempt >= ATTEMPTS) throw new SourceError('unreadable', dir, `the directory kept changing during ${ATTEMPTS} reads in a row`);
  }
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

async function readOnce(dir: string, data: string | undefined, opts: DirectoryReadOptions): Promise<Read> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw fsError(dir, err);
  }
  const wanted = opts.files;
  const read: Read = { entries: [], stable: true };
  const budget = { left: opts.maxBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES, dir };
  for (const name of names.filter(isVisibleName).sort()) {
    if (wanted && !wanted.includes(name)) continue;
    const path = await pinnedPath(dir, name, data);
    if (path === undefined) read.stable = false; // listed, then gone: a change in progress
    else await collect(path, name, 0, read, budget);
  }
  return read;
}

/** `app.yaml -> ..data/app.yaml` is read as `<the ..data target>/app.yaml`, so a swap cannot mix generations. */
async function pinnedPath(dir: string, name: string, data: string | undefined): Promise<string | undefined> {
  const path = join(dir, name);
  try {
    const info = await lstat(path);
    if (!info.isSymbolicLink() || data === undefined) return path;
    const target = await readlink(path);
    return target.startsWith(`${DATA}/`) ? join(dir, data, target.slice(DATA.length + 1)) : path;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(path, err);
  }
}

async function collect(path: string, name: string, depth: number, read: Read, budget: { left: number; dir: string }): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // a dangling symlink: not part of the config
    throw fsError(path, err);
  }
  if (info.isDirectory()) {
    if (depth >= MAX_DEPTH) return;
    let children: string[];
    try {
      children = await readdir(path);
    } catch (err) {
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
