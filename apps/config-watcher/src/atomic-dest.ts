// Writes each config version into --dest the way the kubelet writes a ConfigMap volume: the files
// go into a new hidden `..<timestamp>` folder and are fsynced, then a `..data_tmp` symlink to it is
// renamed over `..data`, so one rename(2) switches every file at once. Visible names are symlinks
// `name -> ..data/name`. A reader sees the old set or the new one, never a mix or a partial file.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, readlink, rename, rm, symlink, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isVisibleName, loadDirectorySnapshot, type ConfigSnapshot } from '@outrigger/config';
import { WatcherError } from './watcher-errors.ts';

export interface StagedGeneration {
  /** `..2025_01_02_15_04_05.123a1b2c3`: the folder's name inside dest. */
  name: string;
  path: string;
}

const DATA = '..data';
const DATA_TMP = '..data_tmp';
/** Ours and the kubelet's: `..` + a UTC timestamp with underscores + `.` + a unique suffix. */
const GENERATION = /^\.\.\d{4}(_\d{2}){5}\.[0-9a-z]+$/;
// mkfs.ext4 makes it at the root of every volume: a dest on a fresh volume holds no config yet.
const FS_OWNED = 'lost+found';

export function planGenerationName(now: Date, suffix: string): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  return `..${stamp}.${p(now.getUTCMilliseconds(), 3)}${suffix}`;
}

function writeError(dest: string, what: string, err: unknown): WatcherError {
  const code = (err as NodeJS.ErrnoException).code;
  return new WatcherError('write_failed', `cannot ${what} in ${dest} (${code ?? (err as Error).message})`, { cause: err });
}

// A rename or a new file is durable only once its folder's entry is on disk too.
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a folder; the files themselves are flushed already.
  } finally {
    await handle.close();
  }
}

/** The config currently published in dest (through `..data`), or undefined when there is none. */
export async function readPublished(dest: string): Promise<ConfigSnapshot | undefined> {
  try {
    await readlink(join(dest, DATA));
  } catch {
    return undefined;
  }
  return loadDirectorySnapshot(dest);
}

/**
 * Every name in dest the app may have read, ours included, sorted. `..` names are the layout's own
 * (or the kubelet's); a dest with nothing else is empty. A missing dest is empty too.
 */
export async function listVisibleNames(dest: string): Promise<string[]> {
  const names = await readdir(dest).catch(() => [] as string[]);
  return names.filter((n) => isVisibleName(n) && n !== FS_OWNED).sort();
}

/** The top-level names of a config's files: the visible links in dest. */
export function planTopNames(snapshot: ConfigSnapshot): Set<string> {
  return new Set([...snapshot.files.keys()].map((n) => n.split('/')[0] as string));
}

/** Writes the files into a new hidden folder. Nothing visible changes yet. */
export async function stageGeneration(dest: string, snapshot: ConfigSnapshot, now = new Date()): Promise<StagedGeneration> {
  const name = planGenerationName(now, randomBytes(4).toString('hex'));
  const path = join(dest, name);
  try {
    await mkdir(dest, { recursive: true });
    await mkdir(path, { mode: 0o755 });
  } catch (err) {
    throw writeError(dest, 'create a folder', err);
  }
  try {
    const folders = new Set([path]);
    for (const [file, content] of snapshot.files) {
      const target = join(path, file);
      folders.add(dirname(target));
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      const handle = await open(target, 'wx', 0o644);
      try {
        await handle.writeFile(content);
        await handle.chmod(0o644); // readable by the app's user whatever our umask
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (const folder of folders) await syncDirectory(folder);
  } catch (err) {
    await rm(path, { recursive: true, force: true });
    throw writeError(dest, 'write the new files', err);
  }
  return { name, path };
}

export async function discardGeneration(staged: StagedGeneration): Promise<void> {
  await rm(staged.path, { recursive: true, force: true });
}

/**
 * Switches dest to the staged folder. Throws (with dest unchanged) only before the switch; what
 * follows it (new visible links, removing stale links and old folders) returns as warnings, since
 * the new config is already what readers get.
 */
export async function publishGeneration(dest: string, staged: StagedGeneration, snapshot: ConfigSnapshot): Promise<string[]> {
  const top = planTopNames(snapshot);
  for (const name of top) {
    const info = await lstat(join(dest, name)).catch(() => undefined);
    if (info?.isDirectory()) throw new WatcherError('write_failed', `cannot publish ${name} in ${dest}: a folder of that name is in the way`);
  }
  try {
    await rm(join(dest, DATA_TMP), { force: true });
    await symlink(staged.name, join(dest, DATA_TMP));
    await rename(join(dest, DATA_TMP), join(dest, DATA)); // the switch: atomic for every file at once
    await syncDirectory(dest);
  } catch (err) {
    throw writeError(dest, 'switch ..data', err);
  }
  const warnings: string[] = [];
  const attempt = async (what: string, step: () => Promise<void>) => {
    try {
      await step();
    } catch (err) {
      warnings.push(`${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  for (const name of top) await attempt(`link ${name}`, () => ensureLink(dest, name));
  for (const entry of await readdir(dest).catch(() => [] as string[])) {
    if (isVisibleName(entry) && !top.has(entry)) await attempt(`remove ${entry}`, () => removeOurLink(dest, entry));
    else if (GENERATION.test(entry) && entry !== staged.name) await attempt(`remove ${entry}`, () => rm(join(dest, entry), { recursive: true, force: true }));
  }
  await attempt('fsync', () => syncDirectory(dest));
  return warnings;
}

async function ensureLink(dest: string, name: string): Promise<void> {
  const want = `${DATA}/${name}`;
  if ((await readlink(join(dest, name)).catch(() => undefined)) === want) return;
  // Made beside and renamed over: replaces an old plain file of that name in one step.
  const temp = join(dest, `..link_tmp_${randomBytes(4).toString('hex')}`);
  await symlink(want, temp);
  try {
    await rename(temp, join(dest, name));
  } finally {
    await rm(temp, { force: true });
  }
}

/** Only links into ..data are ours to remove: other files someone put in dest stay. */
async function removeOurLink(dest: string, name: string): Promise<void> {
  const target = await readlink(join(dest, name)).catch(() => undefined);
  if (target?.startsWith(`${DATA}/`)) await unlink(join(dest, name));
}
