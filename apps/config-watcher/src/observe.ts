// The one observer of the watcher: turns each reload outcome, source error and poll into a log
// line and metrics, so no stage logs or counts on its own. One line per reload, with the diff.
import { SourceError, renderDiffSummary, type PollResult, type SnapshotDiff } from '@outrigger/config';
import type { Logger } from '@outrigger/telemetry';
import { countError, countPoll, type WatcherMetrics } from './metrics.ts';
import type { ReloadOutcome } from './reload.ts';

export interface Observer {
  reload(outcome: ReloadOutcome): void;
  sourceError(err: Error): void;
  poll(result: PollResult): void;
}

function files(diff: SnapshotDiff) {
  return {
    added: diff.added.map((f) => f.name),
    removed: diff.removed.map((f) => f.name),
    changed: diff.changed.map((f) => ({ name: f.name, lines_added: f.linesAdded, lines_removed: f.linesRemoved, lines: f.linesAfter })),
  };
}

export function createObserver(logger: Logger, metrics: WatcherMetrics, source: string): Observer {
  let lastSourceError: string | undefined;
  return {
    reload(outcome) {
      lastSourceError = undefined;
      if (outcome.result === 'unchanged') {
        logger.debug({ event: 'reload', result: 'unchanged', source, hash: outcome.hash }, 'the source matches the config in use');
        return;
      }
      metrics.reloads.inc({ component: 'app', result: outcome.result });
      const summary = renderDiffSummary(outcome.diff);
      const base = { event: 'reload', result: outcome.result, source, diff: files(outcome.diff), diff_summary: summary };
      switch (outcome.result) {
        case 'success':
          metrics.lastSuccess.set(Date.now() / 1000);
          for (const w of outcome.warnings) logger.warn({ event: 'tidy', generation: outcome.generation, warning: w }, 'published, but tidying the destination failed');
          logger.info(
            { ...base, generation: outcome.generation, notified: outcome.notified },
            outcome.initial ? `initial config written (no notification: nothing can have read it before): ${summary}` : `config reloaded: ${summary}`,
          );
          return;
        case 'invalid':
          countError(metrics, outcome.error.kind);
          logger.warn({ ...base, error: outcome.error.kind, problems: outcome.error.problems }, `config refused, the last good one stays in use: ${outcome.error.message}`);
          return;
        case 'write_failed':
          countError(metrics, outcome.error.kind);
          logger.error({ ...base, error: outcome.error.kind }, `config not written, the last good one stays in use: ${outcome.error.message}`);
          return;
        case 'notify_failed':
          metrics.lastSuccess.set(Date.now() / 1000);
          countError(metrics, outcome.error.kind);
          logger.error({ ...base, generation: outcome.generation, error: outcome.error.kind }, `config written, but the app was not notified: ${outcome.error.message}`);
          return;
      }
    },
    sourceError(err) {
      const reason = err instanceof SourceError ? err.kind : '';
      countError(metrics, 'source_unavailable', reason);
      // Every failed poll is counted; the log says it once until the message changes.
      const fields = { event: 'source_error', source, error: 'source_unavailable', reason };
      if (err.message === lastSourceError) logger.debug(fields, err.message);
      else logger.warn(fields, `the source gave no config, the last good one stays in use: ${err.message}`);
      lastSourceError = err.message;
    },
    poll(result) {
      countPoll(metrics, result);
      if (result !== 'error') lastSourceError = undefined;
    },
  };
}
