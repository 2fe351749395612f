// The tailer's file-system questions: which regular files the globs match now (with their device,
// inode and size), the hash of a file's first bytes, and how many lines a file holds past a point.
import { createHash } from 'node:crypto';
import { glob, stat, type FileHandle } from 'node:fs/promises';
import { basename, matchesGlob } from 'node:path';

export interface ListedFile {
  readonly path: string;
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: number;
}

/** Regular files matched by any of the globs and by none of the excluded names. */
export async function listFiles(paths: readonly string[], exclude: readonly string[]): Promise<ListedFile[]> {
  const out = new Map<string, ListedFile>();
  for (const pattern of paths) {
    for await (const path of glob(pattern)) {
      if (out.has(path) || exclude.some((x) => matchesGlob(basename(path), x))) continue;
      try {
        // bigint: 64-bit inode numbers (XFS, overlayfs) lose their low bits as a JS number.
        const st = await stat(path, { bigint: true });
        if (st.isFile()) out.set(path, { path, dev: st.dev, ino: st.ino, size: Number(st.size) });
      } catch {
        // rotated or deleted between the listing and the stat: the next scan sees where it went
      }
    }
  }
  return [...out.values()];
}

/** sha256 (hex) of the first n bytes (fewer if the file is shorter). */
export async function hashHead(fh: FileHandle, n: number): Promise<string> {
  const head = Buffer.alloc(n);
  const { bytesRead } = n > 0 ? await fh.read(head, 0, n, 0) : { bytesRead: 0 };
  return createHash('sha256').update(head.subarray(0, bytesRead)).digest('hex');
}

/** Newlines from offset to the end of the file, read through buf. */
export async function countLinesFrom(fh: FileHandle, offset: number, buf: Buffer): Promise<number> {
  let lines = 0;
  for (let at = offset; ;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, at);
    if (bytesRead === 0) return lines;
    for (let i = buf.indexOf(0x0a, 0); i !== -1 && i < bytesRead; i = buf.indexOf(0x0a, i + 1)) lines++;
    at += bytesRead;
  }
}
