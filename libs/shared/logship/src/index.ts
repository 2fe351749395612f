// Log shipping (DESIGN section 9): a tailer that follows rotated files from checkpoints, batching,
// retries and a dead-letter file, and the sinks (syslog, Loki, Elasticsearch, HTTP NDJSON, stdout).
export { systemClock, type Clock } from './clock.ts';
export { lineTime, lineTimeMs, markedText, parseLineObject, renderJsonEvent, truncationMark, type LogLine } from './log-line.ts';
export { LineSplitter, emptyOutput, type SplitOutput } from './split-lines.ts';
export {
  FACILITIES, SEVERITIES, IANA_SD_IDS, escapeParamValue, frameOctetCounted, headerField, prepareSyslog,
  renderStructuredData, renderSyslogFrames, renderSyslogMessage, sdNameProblem,
  type Facility, type PreparedSyslog, type SdElement, type Severity, type SyslogFormat,
} from './render-syslog.ts';
export { DEFAULT_RETRY_POLICY, parseRetryAfter, planRetryDelay, type RetryPolicy } from './plan-retry.ts';
export { DEFAULT_BATCH_LIMITS, batchWaitLeft, isBatchFull, shouldSendBatch, type BatchFill, type BatchLimits } from './plan-batch.ts';
export { fileKey, parsePositions, renderPositions, type FilePosition, type Positions, type PositionsParse } from './positions.ts';
export { ensureWritableDir, readPositionsFile, setAsideCorrupt, writePositionsFile, type PositionsRead } from './positions-file.ts';
export { CheckpointLedger, type BatchEnds } from './checkpoint-ledger.ts';
export { planReadOrder, rotationNumber, isRotatedAway, type ReadCandidate } from './plan-read-order.ts';
export { FINGERPRINT_BYTES, LOSS_REASONS, Tailer, type LossReason, type TailEvent, type TailRead, type TailerOptions, type TrackedView } from './tailer.ts';
export { DeadLetterFile, renderDeadLetter, type DeadLetter, type DeadLetterSink } from './dead-letter.ts';
export { ShipStats } from './ship-stats.ts';
export { Shipper, type ShipEvent, type ShipperOptions, type StopResult } from './shipper.ts';
export {
  FAILURE_REASONS, REJECT_REASONS, SINK_KINDS,
  type Batch, type FailureReason, type RejectReason, type SendResult, type Sink, type SinkKind,
} from './sinks/sink.ts';
export { classifyHttpStatus, classifySocketError } from './sinks/classify.ts';
export { HttpPoster, type HttpAnswer, type HttpTarget } from './sinks/http-post.ts';
export { BULK_FILTER_PATH, parseBulkResponse, renderBulk, type BulkFormat } from './sinks/render-bulk.ts';
export { LOKI_LABEL_NAME, renderLokiPush, type LokiFormat } from './sinks/render-loki.ts';
export { ElasticsearchSink, HttpNdjsonSink, LokiSink } from './sinks/http-sinks.ts';
export { SyslogSink, type SyslogSinkOptions } from './sinks/syslog-sink.ts';
export { StdoutSink } from './sinks/stdout-sink.ts';
