// One access-log line as the tailer hands it to the sinks, and the pure helpers every sink shares:
// the line's own timestamp, its JSON object if it is one, and the visible truncation mark.
import { scanJsonObject } from './scan-json.ts';

export interface LogLine {
  /** The line without its terminator (a trailing CR is dropped too), decoded as UTF-8. */
  readonly text: string;
  /** Bytes the line had in the file, terminator excluded (the batch-size unit). */
  readonly bytes: number;
  /** Set when the line was longer than maxLineBytes: its full length in bytes. `text` is the kept head. */
  readonly truncatedFrom?: number;
}

/** RFC 5424 section 6.2.3 TIMESTAMP: RFC 3339 with at most 6 fractional digits. */
const RFC5424_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
/** The proxy writes `time` first (docs/reference/access-log.md), so most lines take this path. */
const TIME_FIRST = '{"time":"';

/**
 * The value of the line's `time` field as an RFC 5424-compatible timestamp, or undefined when the
 * line has none (not JSON, no `time`, not a date). Other date forms are normalised to UTC.
 */
export function lineTime(line: LogLine): string | undefined {
  if (line.truncatedFrom !== undefined) return fastTime(line.text);
  const fast = fastTime(line.text);
  if (fast !== undefined) return fast;
  const obj = parseLineObject(line);
  const value = obj?.time;
  return typeof value === 'string' ? normaliseTime(value) : undefined;
}

function fastTime(text: string): string | undefined {
  if (!text.startsWith(TIME_FIRST)) return undefined;
  const end = text.indexOf('"', TIME_FIRST.length);
  if (end === -1 || end - TIME_FIRST.length > 64) return undefined;
  return normaliseTime(text.slice(TIME_FIRST.length, end));
}

function normaliseTime(value: string): string | undefined {
  if (RFC5424_TIME.test(value)) return value;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** Milliseconds since the epoch of the line's `time`, or undefined. */
export function lineTimeMs(line: LogLine): number | undefined {
  const time = lineTime(line);
  if (time === undefined) return undefined;
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The line as a JSON object, or undefined when it is not one (invalid JSON, an array, a scalar, or
 * a truncated line, which is never valid and is shipped as text).
 */
export function parseLineObject(line: LogLine): Record<string, unknown> | undefined {
  if (line.truncatedFrom !== undefined || line.text.charCodeAt(0) !== 0x7b /* { */) return undefined;
  try {
    const value: unknown = JSON.parse(line.text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The text a sink ships: a truncated line ends with a visible mark saying how long it was. */
export function markedText(line: LogLine): string {
  return line.truncatedFrom === undefined ? line.text : `${line.text}${truncationMark(line.truncatedFrom)}`;
}

export function truncationMark(originalBytes: number): string {
  return ` [truncated: ${originalBytes} bytes]`;
}

/** A JSON object for sinks whose events must be objects: the line itself, or the line as text. */
export function renderJsonEvent(line: LogLine): string {
  if (line.truncatedFrom === undefined && scanJsonObject(line.text).valid) return line.text;
  return line.truncatedFrom === undefined
    ? JSON.stringify({ message: line.text })
    : JSON.stringify({ message: markedText(line), truncated: true, original_bytes: line.truncatedFrom });
}
