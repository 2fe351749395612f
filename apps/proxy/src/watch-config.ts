// Re-reads the proxy's config file when it changes, through the shared folder watcher of
// @outrigger/config (a ConfigMap update swaps the kubelet's ..data symlink, which a watch on the
// file itself misses; a poll is the backstop), and on SIGHUP, as `nginx -s reload` does.
import { basename, dirname } from 'node:path';
import { watchDirectory } from '@outrigger/config';

export interface ConfigWatch {
  close(): void;
}

export function watchConfigFile(file: string, opts: { pollMs: number; debounceMs: number; onChange: () => void; onError: (err: Error) => void }): ConfigWatch {
  let first = true;
  const watch = watchDirectory(dirname(file), {
    files: [basename(file)],
    debounceMs: opts.debounceMs,
    pollMs: opts.pollMs,
    onChange: () => {
      // The first snapshot is the file the proxy just started with.
      if (first) first = false;
      else opts.onChange();
    },
    onError: opts.onError,
  });
  const onHup = () => opts.onChange();
  process.on('SIGHUP', onHup);
  return {
    close() {
      void watch.close();
      process.off('SIGHUP', onHup);
    },
  };
}
