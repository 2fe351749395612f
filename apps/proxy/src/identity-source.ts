// The `files` identity source: certificate, key and trust bundle read from PEM files (as
// cert-manager's csi-driver-spiffe, SPIRE helpers or a mounted Secret write them), watched and
// reloaded. A reload that fails validation keeps the identity in use; listeners get the new one
// for new handshakes only, so live connections are never touched.
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { loadIdentityFiles, type IdentityFiles, type LoadedIdentity } from './identity.ts';

/** The CA identity source failed (ca-identity-source.ts); here so that main.ts need not load that module, and node-forge with it. */
export class CaIdentityError extends Error {
  readonly caAddress: string;
  constructor(caAddress: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CaIdentityError';
    this.caAddress = caAddress;
  }
}

export interface IdentitySource {
  current(): LoadedIdentity;
  /** Called after each successful reload with the new identity; errors go to onError. */
  onChange(listener: (identity: LoadedIdentity) => void): void;
  close(): void;
}

export interface FilesSourceOptions {
  /** Backstop poll: watchers miss some updates (NFS, a symlink swapped above the watched folder). */
  pollMs: number;
  /** Coalesces the burst of events one update makes (a kubelet swap touches several names). */
  debounceMs: number;
  onError: (err: Error) => void;
}

export function startFilesIdentity(files: IdentityFiles, opts: FilesSourceOptions): IdentitySource {
  let identity = loadIdentityFiles(files);
  const listeners: Array<(identity: LoadedIdentity) => void> = [];
  let timer: NodeJS.Timeout | undefined;
  const fingerprint = (i: LoadedIdentity) => `${i.certificate.serialNumber}|${i.bundleFingerprint}`;

  const reload = () => {
    timer = undefined;
    let next: LoadedIdentity;
    try {
      next = loadIdentityFiles(files);
    } catch (err) {
      opts.onError(err as Error);
      return;
    }
    if (fingerprint(next) === fingerprint(identity)) return;
    identity = next;
    for (const listener of listeners) listener(identity);
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, opts.debounceMs);
  };
  // Watch the folders, not the files: an atomic rename or a ..data symlink swap replaces the
  // inode a file watcher holds, and it would never fire again.
  const folders = new Set([files.certFile, files.keyFile, files.trustBundleFile].filter((f): f is string => Boolean(f)).map((f) => dirname(f)));
  const watchers: FSWatcher[] = [];
  for (const folder of folders) {
    try {
      watchers.push(watch(folder, { persistent: false }, schedule).on('error', () => undefined));
    } catch (err) {
      opts.onError(err as Error);
    }
  }
  const poll = setInterval(reload, opts.pollMs);
  poll.unref();

  return {
    current: () => identity,
    onChange: (listener) => void listeners.push(listener),
    close() {
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
