// Writes a file so that readers see the old content or the new, never a part: a temporary file
// in the same directory, flushed, then renamed over (or linked, when it must not replace one).
// Also creates the directories to write into.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  mode: number;
  /** false: fail with EEXIST rather than replace an existing file, even one created meanwhile. */
  overwrite: boolean;
}

export async function writeFileAtomic(path: string, data: string, opts: AtomicWriteOptions): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', opts.mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.chmod(opts.mode); // exactly the promised mode, whatever the umask
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (opts.overwrite) await rename(temp, path);
    else await link(temp, path); // link(2) refuses an existing target atomically; rename would not
  } finally {
    await rm(temp, { force: true });
  }
  await syncDirectory(dirname(path));
}

// The rename is durable only once the directory entry is on disk too.
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the data itself is already flushed.
  } finally {
    await handle.close();
  }
}

/** mkdir -p. Node's { recursive: true } spins forever under a parent that exists but refuses
 * children with ENOENT (procfs, sysfs), so the walk up is done here, once per level. */
export async function makeDirectory(dir: string, mode?: number): Promise<void> {
  try {
    await mkdir(dir, { mode });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const parent = dirname(dir);
    if (code === 'EEXIST') return assertDirectory(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    await makeDirectory(parent);
  }
  try {
    await mkdir(dir, { mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // made meanwhile: fine
    await assertDirectory(dir);
  }
}

async function assertDirectory(path: string): Promise<void> {
  if (!(await stat(path)).isDirectory()) {
    throw Object.assign(new Error(`${path} is not a directory`), { code: 'ENOTDIR', path });
  }
}
