#!/usr/bin/env node
// outrigger-config-watcher: parse the flags, start the watcher (or sync once), handle signals.
// Exit status: 0 after SIGTERM or a good --once, 1 for a refused config or a start-up failure, 2 for bad flags.
import { createLogger, createProcessRegistry, isLogLevel } from '@outrigger/telemetry';
import { parseWatcherArgs, type WatcherSpec } from './parse-args.ts';
import { runOnce, startConfigWatcher } from './start-config-watcher.ts';
import { USAGE } from './usage.ts';
import { WatcherError } from './watcher-errors.ts';

async function main(argv: string[]): Promise<number> {
  let spec: WatcherSpec | undefined;
  try {
    spec = parseWatcherArgs(argv);
    if (spec && !isLogLevel(spec.logLevel)) throw new WatcherError('usage', `--log-level ${spec.logLevel}: not a log level`);
  } catch (err) {
    process.stderr.write(`outrigger-config-watcher: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!spec) {
    process.stdout.write(USAGE);
    return 0;
  }
  const logger = createLogger({ name: 'config-watcher', level: spec.logLevel });
  try {
    if (spec.once) {
      const outcome = await runOnce(spec, logger);
      logger.flush();
      return outcome && (outcome.result === 'success' || outcome.result === 'unchanged') ? 0 : 1;
    }
    const running = await startConfigWatcher(spec, logger, createProcessRegistry());
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info({ signal }, 'stopping');
        void running.close().then(resolve);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      process.on('SIGHUP', () => void running.check()); // "look now", like a ConfigMap resync
    });
    logger.flush();
    return 0;
  } catch (err) {
    const kind = err instanceof WatcherError ? err.kind : 'internal';
    logger.fatal({ error: kind }, (err as Error).message);
    logger.flush();
    return err instanceof WatcherError && err.kind === 'usage' ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
