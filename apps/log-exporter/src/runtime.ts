// Wires the exporter: positions file -> tailer -> shipper -> sink, the dead-letter file, metrics
// and the admin server. The one observer of tailer and shipper events writes the log.
import exporterPackage from '../package.json' with { type: 'json' };
import {
  DeadLetterFile, ShipStats, Shipper, Tailer, ensureWritableDir, readPositionsFile, setAsideCorrupt, systemClock, writePositionsFile,
  type Positions, type StopResult,
} from '@outrigger/logship';
import { createProcessRegistry, type Logger } from '@outrigger/telemetry';
import { startAdminServer } from './admin-server.ts';
import { buildSink } from './build-sink.ts';
import type { LoadedConfig } from './load-config.ts';
import { createExporterMetrics } from './metrics.ts';
import { createObserver } from './observe.ts';

export interface Exporter {
  readonly adminPort: number;
  readonly stats: ShipStats;
  /** Stops reading, flushes within the shutdown timeout, writes the positions file. */
  stop(): Promise<StopResult>;
}

export async function startExporter({ config, tls }: LoadedConfig, logger: Logger): Promise<Exporter> {
  await ensureWritable('positions.file', config.positions.file);
  await ensureWritable('deadLetter.file', config.deadLetter.file);
  const observer = createObserver(logger);
  const saved = await loadPositions(config.positions.file, logger);
  const stats = new ShipStats();
  const tailer = new Tailer({
    paths: config.files.paths, exclude: config.files.exclude, maxLineBytes: config.files.maxLineBytes, readBytes: config.files.readBytes,
    rotateWaitMs: config.files.rotateWait, startAt: config.files.startAt, maxOpenFiles: config.files.maxOpenFiles,
    clock: systemClock, stats, onEvent: observer.tail,
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
    onEvent: observer.ship,
  });
  const registry = createExporterMetrics({ stats, lagBytes: () => shipper.lagBytes(), inFlight: () => shipper.inFlight, filesOpen: () => tailer.files().length }, exporterPackage.version);
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

/** A start failure that names the key and the file: a folder we cannot write is found now, not at the first write. */
async function ensureWritable(key: string, file: string): Promise<void> {
  try {
    await ensureWritableDir(file);
  } catch (err) {
    throw new Error(`${key} ${file}: ${(err as Error).message}`, { cause: err });
  }
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
