// Re-reads the proxy's config file when it changes (a folder watch: a ConfigMap update swaps the
// kubelet's ..data symlink, which a watch on the file itself misses; plus a poll as a backstop)
// or on SIGHUP, and hands each new, different text to `onChange`.
import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

export interface ConfigWatch {
  close(): void;
}

export function watchConfigFile(file: string, opts: { pollMs: number; debounceMs: number; onChange: () => void }): ConfigWatch {
  const hash = () => {
    try {
      return createHash('sha256').update(readFileSync(file)).digest('hex');
    } catch {
      return 'unreadable';
    }
  };
  let last = hash();
  let timer: NodeJS.Timeout | undefined;
  const check = (force = false) => {
    timer = undefined;
    const now = hash();
    if (!force && now === last) return;
    last = now;
    opts.onChange();
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, opts.debounceMs);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, schedule).on('error', () => undefined);
  } catch {
    // the poll below still sees changes
  }
  const poll = setInterval(() => check(), opts.pollMs);
  poll.unref();
  const onHup = () => check(true); // like nginx -s reload: re-read even if unchanged
  process.on('SIGHUP', onHup);
  return {
    close() {
      watcher?.close();
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      process.off('SIGHUP', onHup);
    },
  };
}
