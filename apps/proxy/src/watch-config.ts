// Re-reads the proxy's config file when it changes, through the shared folder watcher of
// @outrigger/config (a ConfigMap update swaps the kubelet's ..data symlink, which a watch on the
// file itself misses; a poll is the backstop), and on SIGHUP, as `nginx -s reload` does.
import { basename, dirname } from 'node:path';
import { watchDirectory } from '@outrigger/config';

export interface ConfigWatch {
  close(): void;
}

/** `startedWith` is the file's content the running config came from. */
export function watchConfigFile(file: string, startedWith: Buffer, opts: { pollMs: number; debounceMs: number; onChange: () => void; onError: (err: Error) => void }): ConfigWatch {
  let first = true;
  const watch = watchDirectory(dirname(file), {
    files: [basename(file)],
    debounceMs: opts.debounceMs,
    pollMs: opts.pollMs,
    onChange: (snapshot) => {
      // The first snapshot is usually the file the proxy started with; unless it changed meanwhile.
      const unchanged = first && snapshot.files.get(basename(file))?.equals(startedWith) === true;
      first = false;
      if (!unchanged) opts.onChange();
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
