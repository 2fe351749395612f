// One reload, as fixed stages read top to bottom: check (parse, schema) -> stage the files in a
// hidden folder -> --validate-cmd on them -> switch `..data` -> notify. Any failure before the
// switch leaves the destination and the app as they were. The outcome goes to one observer.
import { planDiff, type ConfigSnapshot, type SnapshotDiff } from '@outrigger/config';
import type { CandidateCheck } from './parse-candidate.ts';
import type { StagedGeneration } from './atomic-dest.ts';
import { WatcherError } from './watcher-errors.ts';

export interface ReloadStages {
  check(snapshot: ConfigSnapshot): CandidateCheck;
  stage(snapshot: ConfigSnapshot): Promise<StagedGeneration>;
  /** Runs --validate-cmd on the staged files; throws validate_cmd_failed. Absent: no command. */
  validate?(staged: StagedGeneration): Promise<void>;
  /** Switches dest; returns warnings about the tidying after the switch. */
  publish(staged: StagedGeneration, snapshot: ConfigSnapshot): Promise<string[]>;
  discard(staged: StagedGeneration): Promise<void>;
  /** One log line per notification made; throws process_not_visible or notify_failed. */
  notify(staged: StagedGeneration, snapshot: ConfigSnapshot): Promise<string[]>;
}

export type ReloadOutcome =
  | { result: 'unchanged'; hash: string }
  | { result: 'success'; diff: SnapshotDiff; generation: string; notified: string[]; initial: boolean; warnings: string[] }
  | { result: 'invalid' | 'write_failed'; diff: SnapshotDiff; error: WatcherError }
  | { result: 'notify_failed'; diff: SnapshotDiff; generation: string; error: WatcherError; warnings: string[] };

export interface Reloader {
  /** The config in dest: the last one published (or found there at start). */
  lastGood(): ConfigSnapshot | undefined;
  reload(snapshot: ConfigSnapshot): Promise<ReloadOutcome>;
}

function asWatcherError(err: unknown, fallback: 'write_failed' | 'notify_failed' | 'validate_cmd_failed'): WatcherError {
  return err instanceof WatcherError ? err : new WatcherError(fallback, (err as Error).message ?? String(err), { cause: err });
}

/**
 * `published`: the config dest held at start. `destEmpty`: dest held nothing visible at all. Only
 * then is the first config not notified: no app can have read a config that did not exist (see the
 * docs on start-up order). A plain file there (an image's default, a config from before the
 * watcher) may have been read, so replacing it is a change the app must hear of.
 */
export function createReloader(stages: ReloadStages, published: ConfigSnapshot | undefined, opts: { notify: boolean; destEmpty: boolean }): Reloader {
  let lastGood = published;
  return {
    lastGood: () => lastGood,
    async reload(snapshot) {
      if (lastGood?.hash === snapshot.hash) return { result: 'unchanged', hash: snapshot.hash };
      const diff = planDiff(lastGood, snapshot);
      const checked = stages.check(snapshot);
      if (!checked.ok) {
        const error = new WatcherError(checked.kind, checked.problems.join('; '), { problems: checked.problems });
        return { result: 'invalid', diff, error };
      }
      let staged: StagedGeneration;
      try {
        staged = await stages.stage(snapshot);
      } catch (err) {
        return { result: 'write_failed', diff, error: asWatcherError(err, 'write_failed') };
      }
      try {
        await stages.validate?.(staged);
      } catch (err) {
        await stages.discard(staged).catch(() => undefined); // a hidden folder; the next publish sweeps it anyway
        return { result: 'invalid', diff, error: asWatcherError(err, 'validate_cmd_failed') };
      }
      let warnings: string[];
      try {
        warnings = await stages.publish(staged, snapshot);
      } catch (err) {
        await stages.discard(staged).catch(() => undefined);
        return { result: 'write_failed', diff, error: asWatcherError(err, 'write_failed') };
      }
      const initial = lastGood === undefined && opts.destEmpty;
      lastGood = snapshot;
      if (initial || !opts.notify) return { result: 'success', diff, generation: staged.name, notified: [], initial, warnings };
      try {
        const notified = await stages.notify(staged, snapshot);
        return { result: 'success', diff, generation: staged.name, notified, initial, warnings };
      } catch (err) {
        return { result: 'notify_failed', diff, generation: staged.name, error: asWatcherError(err, 'notify_failed'), warnings };
      }
    },
  };
}
