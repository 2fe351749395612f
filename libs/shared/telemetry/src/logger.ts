// The process logger: pino, one JSON object per line on stderr (stdout is left to the access log),
// ISO time, level as a label and the component name instead of pid/hostname, which the container
// runtime already records.
import pino from 'pino';
import { OutriggerError } from './error-kinds.ts';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type Logger = pino.Logger;

export interface LoggerOptions {
  /** The component writing, e.g. 'proxy' or 'config-watcher'; becomes the `component` field. */
  name: string;
  /** One of LOG_LEVELS; default 'info'. */
  level?: string;
  /** Where lines go; default stderr, written asynchronously. */
  destination?: pino.DestinationStream;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(opts: LoggerOptions): Logger {
  const level = opts.level ?? 'info';
  if (!isLogLevel(level)) {
    throw new OutriggerError('config_invalid', `invalid log level ${JSON.stringify(level)}: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  // sync: false keeps a slow stderr reader from stalling the event loop; pino flushes it on exit.
  const destination = opts.destination ?? pino.destination({ fd: 2, sync: false });
  return pino(
    {
      level,
      base: { component: opts.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
