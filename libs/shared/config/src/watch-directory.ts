// Watches a directory mounted from a ConfigMap or Secret (or any folder): fs.watch on the folder,
// debounced, then a consistent re-read compared by hash, with a periodic poll as a backstop.
// Generalises the proxy's identity-file watcher (apps/proxy/src/identity-source.ts).
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { loadDirectorySnapshot, type DirectoryReadOptions } from './load-directory.ts';
import { createDelivery, createSerialRunner, type ConfigWatch, type WatchOptions } from './watch-delivery.ts';

export interface DirectoryWatchOptions extends WatchOptions, DirectoryReadOptions {
  /** Quiet time after the last event before re-reading, in ms; default 250. One kubelet update makes several events. */
  debounceMs?: number;
  /** Re-read this often whatever the events say, in ms; default 10 000. */
  pollMs?: number;
}

export const DEFAULT_DEBOUNCE_MS = 250;
export const DEFAULT_POLL_MS = 10_000;

/** Starts watching; the first read happens at once and its snapshot reaches onChange (previous undefined). */
export function watchDirectory(dir: string, opts: DirectoryWatchOptions): ConfigWatch {
  const debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const delivery = createDelivery(opts);
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let watchedIno: number | undefined;

  const schedule = () => {
    if (closed) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => void runner.run(), debounceMs);
  };

  // Watch the folder, not the files: the kubelet renames `..data_tmp` over `..data`, and a watch
  // on a file follows the old inode, which never changes again after the first update. The watch
  // is renewed when the folder itself was replaced (deleted and made again, a new mount).
  const ensureWatch = async () => {
    const ino = await stat(dir).then((s) => s.ino, () => undefined);
    if (watcher && ino === watchedIno) return;
    watcher?.close();
    watcher = undefined;
    if (ino === undefined || closed) return;
    try {
      const w = watch(dir, { persistent: false }, schedule);
      w.on('error', () => {
        w.close();
        if (watcher === w) watcher = undefined;
      });
      watcher = w;
      watchedIno = ino;
    } catch {
      // The folder went away between stat and watch: the poll tries again.
    }
  };

  const runner = createSerialRunner(async () => {
    if (closed) return;
    await ensureWatch();
    let snapshot;
    try {
      snapshot = await loadDirectorySnapshot(dir, opts);
    } catch (err) {
      if (!closed) opts.onError(err as Error);
      return;
    }
    if (!closed) await delivery.offer(snapshot);
  });

  const poll = setInterval(() => void runner.run(), pollMs);
  poll.unref();
  void runner.run();

  return {
    current: delivery.current,
    check: () => (closed ? Promise.resolve() : runner.run()),
    async close() {
      closed = true;
      clearInterval(poll);
      if (debounce) clearTimeout(debounce);
      watcher?.close();
      watcher = undefined;
      await runner.idle();
    },
  };
}
