// The watcher's own Prometheus series, in a registry of its own (never prom-client's global one):
// reload results, errors by kind, polls of a URL source, the time of the last good reload.
import { Counter, Gauge, Registry } from 'prom-client';
import type { PollResult, SourceErrorKind } from '@outrigger/config';
import type { ReloadResult, WatcherErrorKind } from './watcher-errors.ts';

export interface WatcherMetrics {
  readonly registry: Registry;
  readonly reloads: Counter<'component' | 'result'>;
  readonly errors: Counter<'kind' | 'reason'>;
  readonly polls: Counter<'result'>;
  readonly lastSuccess: Gauge;
}

export const RELOAD_RESULTS: readonly ReloadResult[] = ['success', 'invalid', 'write_failed', 'notify_failed'];

export function createWatcherMetrics(): WatcherMetrics {
  const registry = new Registry();
  const registers = [registry];
  const metrics: WatcherMetrics = {
    registry,
    reloads: new Counter({
      name: 'outrigger_config_reloads_total',
      help: 'Config reload attempts by result: success, invalid (refused before anything was written), write_failed, notify_failed (written, app not told).',
      labelNames: ['component', 'result'],
      registers,
    }),
    errors: new Counter({
      name: 'outrigger_config_watcher_errors_total',
      help: 'Failures by kind (docs/reference/config-watcher.md); reason is the source error kind for source_unavailable, else empty.',
      labelNames: ['kind', 'reason'],
      registers,
    }),
    polls: new Counter({
      name: 'outrigger_config_source_polls_total',
      help: 'Polls of a url: source by result: changed, unchanged (200 with the same bytes), not_modified (304), error.',
      labelNames: ['result'],
      registers,
    }),
    lastSuccess: new Gauge({
      name: 'outrigger_config_last_reload_success_timestamp_seconds',
      help: 'When a config was last published into the destination, in seconds since the Unix epoch.',
      registers,
    }),
  };
  // Series at zero from the start, so rate() and alerts see them before the first event.
  for (const result of RELOAD_RESULTS) metrics.reloads.inc({ component: 'app', result }, 0);
  return metrics;
}

export function countError(metrics: WatcherMetrics, kind: WatcherErrorKind, reason: SourceErrorKind | '' = ''): void {
  metrics.errors.inc({ kind, reason });
}

export function countPoll(metrics: WatcherMetrics, result: PollResult): void {
  metrics.polls.inc({ result });
}
