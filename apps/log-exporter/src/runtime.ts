// Wires the exporter: positions file -> tailer -> shipper -> sink, the dead-letter file, metrics
// and the admin server. The one observer of tailer and shipper events writes the log.
import {
  DeadLetterFile, ShipStats, Shipper, Tailer, ensureParentDir, readPositionsFile, setAsideCorrupt, systemClock, writePositionsFile,
  type Positions, type ShipEvent, type StopResult, type TailEvent,
} from '@outrigger/logship';
import { createProcessRegistry, type Logger } from '@outrigger/telemetry';
import { startAdminServer } from './admin-server.ts';
import { buildSink } from './build-sink.ts';
import type { LoadedConfig } from './load-config.ts';
import { createExporterMetrics } from './metrics.ts';

export interface Exporter {
  readonly adminPort: number;
  readonly stats: ShipStats;
  /** Stops reading, flushes within the shutdown timeout, writes the positions file. */
  stop(): Promise<StopResult>;
}

export async function startExporter({ config, tls }: LoadedConfig, logger: Logger): Promise<Exporter> {
  await ensureParentDir(config.positions.file);
  await ensureParentDir(config.deadLetter.file);
  const saved = await loadPositions(config.positions.file, logger);
  const stats = new ShipStats();
  const tailer = new Tailer({
    paths: config.files.paths, exclude: config.files.exclude, maxLineBytes: config.files.maxLineBytes, readBytes: config.files.readBytes,
    rotateWaitMs: config.files.rotateWait, startAt: config.files.startAt, maxOpenFiles: config.files.maxOpenFiles,
    clock: systemClock, stats, onEvent: (e) => logTailEvent(logger, e),
  }, saved);
  const sink = buildSink(config, tls);
  const shipper = new Shipper({
    tailer, sink, stats, clock: systemClock,
    deadLetter: new DeadLetterFile(config.deadLetter.file, config.deadLetter.maxBytes, sink.kind, Date.now),
    savePositions: (p) => writePositionsFile(config.positions.file, p),
    batch: { maxLines: config.batch.maxLines, maxBytes: config.batch.maxBytes, maxWaitMs: config.batch.maxWait },
    maxInFlight: config.batch.maxInFlight,
    retry: { initialDelayMs: config.retry.initialDelay, maxDelayMs: config.retry.maxDelay, maxRetryAfterMs: config.retry.maxRetryAfter },
    pollIntervalMs: config.files.pollInterval,
    scanIntervalMs: Math.max(config.files.pollInterval, 1000),
    checkpointIntervalMs: config.positions.interval,
    onEvent: (e) => logShipEvent(logger, e),
  });
  const registry = createExporterMetrics({ stats, lagBytes: () => shipper.lagBytes(), inFlight: () => shipper.inFlight, filesOpen: () => tailer.files().length });
  const admin = await startAdminServer(config.admin.address, config.admin.port, [registry, createProcessRegistry()]);
  shipper.start();
  admin.setReady(true);
  return {
    adminPort: admin.port,
    stats,
    async stop() {
      admin.setReady(false);
      const result = await shipper.stop(config.shutdown.timeout);
      await admin.close();
      return result;
    },
  };
}

/**
 * A positions file that cannot be parsed is set aside and every file is read from its start
 * (duplicates, never a gap): empty positions, not none, so files.startAt: end does not apply.
 */
async function loadPositions(file: string, logger: Logger): Promise<Positions | undefined> {
  const read = await readPositionsFile(file);
  if (read.kind === 'ok') return read.positions;
  if (read.kind === 'missing') return undefined;
  const aside = await setAsideCorrupt(file, Date.now());
  logger.error({ file, aside, problem: read.problem }, 'positions file unreadable; set aside, reading every file from its start');
  return { version: 1, files: [] };
}

function logTailEvent(logger: Logger, e: TailEvent): void {
  switch (e.kind) {
    case 'file_opened':
      return logger.info({ path: e.path, offset: e.offset, resumed: e.resumed }, 'following file');
    case 'file_renamed':
    case 'file_gone':
    case 'file_closed':
      return logger.debug(e, e.kind.replace('_', ' '));
    case 'file_truncated':
      return logger.warn({ path: e.path }, 'file truncated in place; reading it again from its start');
    case 'position_reset':
      return logger.warn({ path: e.path, reason: e.reason }, 'saved position does not fit the file; reading it from its start');
    case 'lines_lost':
      return logger.warn({ path: e.path, lines: e.lines ?? null, bytes: e.bytes, reason: e.reason }, 'lines lost: the file went away before it was read');
    case 'too_many_files':
      return logger.warn({ path: e.path, max_open_files: e.maxOpenFiles }, 'too many files open; new files wait');
  }
}

function logShipEvent(logger: Logger, e: ShipEvent): void {
  switch (e.kind) {
    case 'send_failed':
      // Powers of two only: an aggregator down for an hour must not flood the log.
      if ((e.attempt & (e.attempt - 1)) === 0) logger.warn({ batch: e.seq, lines: e.lines, reason: e.reason, detail: e.detail ?? null, attempt: e.attempt, retry_in_ms: e.delayMs }, 'send failed; will retry');
      return;
    case 'send_recovered':
      return logger.info({ batch: e.seq, attempts: e.attempts }, 'sent after retries');
    case 'dead_lettered':
      return logger.warn({ batch: e.seq, lines: e.lines, reason: e.reason, detail: e.detail }, 'lines refused by the destination; written to the dead-letter file');
    case 'dead_letter_failed':
      return logger.error({ batch: e.seq, err: e.error.message }, 'cannot write the dead-letter file; the batch will be retried');
    case 'positions_write_failed':
      return logger.error({ err: e.error.message }, 'cannot write the positions file');
  }
}
