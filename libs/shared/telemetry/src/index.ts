// Telemetry shared by every Outrigger process: the error-kind catalogue, the Prometheus metric
// catalogue, the process logger and the access log.
export {
  ERROR_KINDS, RESPONSE_FLAGS, OutriggerError, classifyError, isErrorKind,
  type ErrorKind, type ErrorKindInfo, type ErrorSide, type ResponseFlag,
} from './error-kinds.ts';
export {
  createMetrics, createProcessRegistry, renderMetrics, REQUEST_DURATION_BUCKETS,
  type Metrics, type MetricsOptions, type HotCells, type RequestLabel, type DurationLabel, type ConnectionLabel, type ByteLabel,
} from './metrics.ts';
export { createLogger, isLogLevel, LOG_LEVELS, type Logger, type LoggerOptions, type LogLevel } from './logger.ts';
export {
  ACCESS_LOG_FIELDS, NO_RESPONSE_FLAGS, formatAccessLogLine, formatResponseFlags,
  type AccessLogRecord, type Direction,
} from './access-log-record.ts';
export { startSeriesExpiry, DEFAULT_SERIES_IDLE_MS, type SeriesExpiry } from './series-expiry.ts';
export { add, observe, counterCells, gaugeCells, histogramCells, type Cell, type CellTable } from './series-cells.ts';
export { createAccessLog, MAX_BUFFERED_BYTES, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILES, type AccessLog, type AccessLogOptions } from './access-log.ts';
