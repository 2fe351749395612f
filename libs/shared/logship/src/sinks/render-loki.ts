// A batch as a Loki push request (POST /loki/api/v1/push, JSON): one stream per label set, each
// entry [nanosecond timestamp, line]. Labels are fixed ones from the config plus chosen fields of
// the line; keep those to low-cardinality fields (direction, protocol, tls), never paths or IDs. Pure.
import { lineTimeMs, markedText, parseLineObject, type LogLine } from '../log-line.ts';

export interface LokiFormat {
  readonly labels: Readonly<Record<string, string>>;
  /** Fields of the JSON line copied into labels when present (strings, numbers, booleans). */
  readonly labelFields: readonly string[];
}

/** Loki's (Prometheus') label name rule. */
export const LOKI_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function renderLokiPush(lines: readonly LogLine[], format: LokiFormat, nowMs: number): string {
  const streams = new Map<string, { stream: Record<string, string>; values: Array<[string, string]> }>();
  for (const line of lines) {
    const labels: Record<string, string> = { ...format.labels };
    if (format.labelFields.length > 0) {
      const obj = parseLineObject(line);
      for (const field of format.labelFields) {
        const value = obj?.[field];
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') labels[field] = String(value);
      }
    }
    const key = JSON.stringify(labels);
    let stream = streams.get(key);
    if (!stream) {
      stream = { stream: labels, values: [] };
      streams.set(key, stream);
    }
    // Loki wants nanoseconds as a decimal string; the access log has milliseconds.
    stream.values.push([`${Math.trunc(lineTimeMs(line) ?? nowMs)}000000`, markedText(line)]);
  }
  return JSON.stringify({ streams: [...streams.values()] });
}
