// Updates a folder the way the kubelet updates a ConfigMap or Secret volume (its AtomicWriter):
// files go into a new `..<timestamp>` folder, a `..data_tmp` symlink to it is renamed over `..data`,
// each visible name is a symlink `name -> ..data/name`, and the previous generation is deleted.
import { mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let sequence = 0;

/** Replaces the whole content of `dir` with `files` (name -> text; `a/b` makes a subfolder) in one swap. */
export function writeKubeletVolume(dir: string, files: Readonly<Record<string, string>>): void {
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '');
  const generation = `..${stamp}.${process.pid}${String(++sequence).padStart(6, '0')}`;
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, generation, name)), { recursive: true });
    writeFileSync(join(dir, generation, name), text);
  }
  let previous: string | undefined;
  try {
    previous = readlinkSync(join(dir, '..data'));
  } catch {
    previous = undefined;
  }
  rmSync(join(dir, '..data_tmp'), { force: true });
  symlinkSync(generation, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  const visible = new Set(Object.keys(files).map((name) => name.split('/')[0] as string));
  for (const name of visible) {
    try {
      readlinkSync(join(dir, name));
    } catch {
      symlinkSync(join('..data', name), join(dir, name));
    }
  }
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('..') && !visible.has(name)) unlinkSync(join(dir, name));
  }
  if (previous !== undefined) rmSync(join(dir, previous), { recursive: true, force: true });
}
