#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=50
// outrigger-log-exporter: parse arguments, load and validate the config, start shipping, and on
// SIGTERM flush within the shutdown timeout and write the positions file.
// Exit status: 0 after a clean stop, 1 for a bad config or a start failure, 2 for bad arguments.

// The V8 flags above bound memory: lines stream through the heap and, left to its defaults on a
// large machine, V8 lets the young generation reach 128 MB and the old one grow to 4x the live data
// (about 260 MB RSS at full speed, against about 150 MB with these). Node refuses the second in
// NODE_OPTIONS, so whoever runs `node main.ts` directly passes both (docs/reference/log-exporter.md).
import { parseArgs } from 'node:util';
import { createLogger } from '@outrigger/telemetry';
import { ConfigError, loadExporterConfig } from './load-config.ts';
import { startExporter } from './runtime.ts';
import { OPTIONS, USAGE } from './usage.ts';

async function main(argv: string[]): Promise<number> {
  let values: { config?: string; check?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true }));
  } catch (err) {
    process.stderr.write(`outrigger-log-exporter: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const file = values.config ?? process.env.OUTRIGGER_CONFIG;
  if (!file) {
    process.stderr.write(`outrigger-log-exporter: --config is required (or set OUTRIGGER_CONFIG)\n${USAGE}`);
    return 2;
  }
  let loaded;
  try {
    loaded = loadExporterConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`outrigger-log-exporter: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (values.check) {
    process.stdout.write(`${file}: ok\n`);
    return 0;
  }
  const { config } = loaded;
  const logger = createLogger({ name: 'log-exporter', level: config.log.level });
  let exporter;
  try {
    exporter = await startExporter(loaded, logger);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'cannot start');
    logger.flush();
    return 1;
  }
  logger.info({ sink: config.sink.kind, paths: config.files.paths, positions: config.positions.file, admin: { address: config.admin.address, port: exporter.adminPort } }, 'ready');
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal, timeout_ms: config.shutdown.timeout }, 'stopping');
  const result = await exporter.stop();
  const s = exporter.stats;
  logger.info({
    unacknowledged_batches: result.unacknowledgedBatches, positions_written: result.positionsWritten,
    lines_read: s.linesRead, lines_shipped: s.linesShipped, lines_dead_lettered: s.totalDeadLettered, lines_lost: s.linesLost, lost_bytes: s.bytesLost,
  }, 'stopped');
  logger.flush();
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
