// Writes a log the way the proxy's access log rolls (rename .N-1 -> .N ... -> .1, delete beyond
// maxFiles, open a new file) or the logrotate way (rename, keep writing to the old descriptor until
// told to reopen). Imported by specs only.
import { closeSync, existsSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export class RollingFile {
  readonly path: string;
  readonly maxBytes: number;
  readonly maxFiles: number;
  #fd: number;
  #size = 0;
  rolls = 0;

  constructor(path: string, maxBytes = Number.POSITIVE_INFINITY, maxFiles = 5) {
    this.path = path;
    this.maxBytes = maxBytes;
    this.maxFiles = maxFiles;
    this.#fd = openSync(path, 'a');
  }

  /** Appends text (whole lines), rolling first when it would pass maxBytes. */
  write(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.#size > 0 && this.#size + bytes > this.maxBytes) this.roll();
    writeSync(this.#fd, text);
    this.#size += bytes;
  }

  /** The proxy's roll: numbered renames, then a new file. */
  roll(): void {
    closeSync(this.#fd);
    this.renameChain();
    this.#fd = openSync(this.path, 'a');
    this.#size = 0;
    this.rolls++;
  }

  /** logrotate without copytruncate: rename only; writes keep going to the renamed file until reopen(). */
  renameChain(): void {
    rmSync(`${this.path}.${this.maxFiles}`, { force: true });
    for (let n = this.maxFiles - 1; n >= 1; n--) if (existsSync(`${this.path}.${n}`)) renameSync(`${this.path}.${n}`, `${this.path}.${n + 1}`);
    renameSync(this.path, `${this.path}.1`);
  }

  reopen(): void {
    closeSync(this.#fd);
    this.#fd = openSync(this.path, 'a');
    this.#size = 0;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Lines `{"seq":N,...}` for N in [from, from + n). */
export function seqLines(from: number, n: number, pad = ''): string {
  let out = '';
  for (let i = from; i < from + n; i++) out += `{"time":"2025-01-02T03:04:05.678Z","seq":${i}${pad ? `,"pad":"${pad}"` : ''}}\n`;
  return out;
}

export function seqOf(text: string): number {
  const m = /"seq":(\d+)/.exec(text);
  if (!m) throw new Error(`no seq in ${text.slice(0, 80)}`);
  return Number(m[1]);
}
