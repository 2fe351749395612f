// What both watchers share: checks run one at a time (a trigger during a check queues exactly one
// more, so a burst of events costs two reads at most), and a snapshot reaches onChange only when
// its hash differs from the last one delivered.
import type { ConfigSnapshot } from './plan-snapshot.ts';

export interface WatchOptions {
  /**
   * Called with each new snapshot (the first one too, with previous undefined), never twice at
   * once. Return normally when done, even after refusing a bad config: it is not offered again
   * until the content changes. Throw (or reject) for a failure worth retrying: the error goes to
   * onError and the same snapshot is offered again at the next check.
   */
  onChange(snapshot: ConfigSnapshot, previous: ConfigSnapshot | undefined): void | Promise<void>;
  /** A check that failed (a SourceError), or an error thrown by onChange. Called once per failure. */
  onError(err: Error): void;
}

export interface ConfigWatch {
  /** The last snapshot onChange accepted; undefined before the first. */
  current(): ConfigSnapshot | undefined;
  /** Checks now (besides the events and the poll); resolves when that check is done. */
  check(): Promise<void>;
  /** Stops watching; resolves once a check in progress (and its onChange) has finished. */
  close(): Promise<void>;
}

export type Offer = 'changed' | 'unchanged' | 'failed';

export interface Delivery {
  current(): ConfigSnapshot | undefined;
  offer(snapshot: ConfigSnapshot): Promise<Offer>;
}

export function createDelivery(opts: WatchOptions): Delivery {
  let delivered: ConfigSnapshot | undefined;
  return {
    current: () => delivered,
    async offer(snapshot) {
      if (delivered?.hash === snapshot.hash) return 'unchanged';
      try {
        await opts.onChange(snapshot, delivered);
      } catch (err) {
        opts.onError(err instanceof Error ? err : new Error(String(err)));
        return 'failed';
      }
      delivered = snapshot;
      return 'changed';
    },
  };
}

export interface SerialRunner {
  /** Runs the task, or queues one more run if it is running; resolves when a run that started after this call ends. */
  run(): Promise<void>;
  /** Resolves when no run is in progress or queued. */
  idle(): Promise<void>;
}

/** `task` must not reject: it reports its own failures. */
export function createSerialRunner(task: () => Promise<void>): SerialRunner {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const run = (): Promise<void> => {
    if (!running) {
      running = task().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running.then(() => {
      queued = undefined;
      return run();
    });
    return queued;
  };
  return {
    run,
    async idle() {
      while (running || queued) await (queued ?? running);
    },
  };
}
