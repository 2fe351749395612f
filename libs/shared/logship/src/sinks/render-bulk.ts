// A batch as an Elasticsearch/OpenSearch _bulk request (NDJSON: an action line, then the document),
// and the per-item reading of its answer: a 200 can still hold refused items. Pure.
import { lineTime, markedText, type LogLine } from '../log-line.ts';
import { scanJsonObject } from '../scan-json.ts';
import type { SendResult } from './sink.ts';

export interface BulkFormat {
  readonly index: string;
  /** `create` (required by data streams) or `index`. */
  readonly action: 'create' | 'index';
  /** Data streams need `@timestamp`; it is added from the line's `time` unless the line has it. */
  readonly timestampField: string;
}

/** Asks for the statuses and errors only: the full answer repeats index, id and shard info per item. */
export const BULK_FILTER_PATH = 'errors,items.*.status,items.*.error.type,items.*.error.reason';

export function renderBulk(lines: readonly LogLine[], format: BulkFormat, nowIso: string): string {
  const action = `${JSON.stringify({ [format.action]: { _index: format.index } })}\n`;
  const tsKey = JSON.stringify(format.timestampField);
  let out = '';
  for (const line of lines) {
    const scan = line.truncatedFrom === undefined ? scanJsonObject(line.text, format.timestampField) : undefined;
    let doc: string;
    if (!scan?.valid) {
      const fields: Record<string, unknown> = { [format.timestampField]: nowIso, message: markedText(line) };
      if (line.truncatedFrom !== undefined) Object.assign(fields, { truncated: true, original_bytes: line.truncatedFrom });
      doc = JSON.stringify(fields);
    } else if (scan.hasKey) {
      doc = line.text;
    } else if (scan.empty) {
      doc = JSON.stringify({ [format.timestampField]: lineTime(line) ?? nowIso });
    } else {
      // Splice the field in front rather than re-serialising: the line keeps its bytes and order.
      doc = `{${tsKey}:${JSON.stringify(lineTime(line) ?? nowIso)},${line.text.slice(line.text.indexOf('{') + 1)}`;
    }
    out += action + doc + '\n';
  }
  return out;
}

interface BulkItem {
  status?: number;
  error?: { type?: string; reason?: string };
}

/**
 * The _bulk answer for a batch of `count` lines: items with 2xx are taken; 429 and 5xx are
 * retried; other statuses (mapping errors, bad documents) are rejected with the server's reason.
 * Items the answer does not mention are retried.
 */
export function parseBulkResponse(text: string, count: number): SendResult {
  let data: { errors?: unknown; items?: unknown };
  try {
    data = JSON.parse(text) as typeof data;
  } catch {
    return { kind: 'retry', reason: 'bad_response', detail: `the _bulk answer is not JSON: ${text.slice(0, 200)}` };
  }
  if (data === null || typeof data !== 'object') return { kind: 'retry', reason: 'bad_response', detail: 'the _bulk answer is not an object' };
  if (data.errors === false) return { kind: 'ok' };
  if (!Array.isArray(data.items)) return { kind: 'retry', reason: 'bad_response', detail: 'the _bulk answer has errors but no items' };
  const retry: number[] = [];
  const rejected: Array<{ index: number; detail: string }> = [];
  for (let i = 0; i < count; i++) {
    const entry = data.items[i] as Record<string, BulkItem> | undefined;
    const item = entry ? Object.values(entry)[0] : undefined;
    const status = item?.status;
    if (status === undefined) retry.push(i);
    else if (status >= 200 && status < 300) continue;
    else if (status === 429 || status >= 500) retry.push(i);
    else rejected.push({ index: i, detail: `${status} ${item?.error?.type ?? 'error'}: ${item?.error?.reason ?? 'no reason given'}` });
  }
  if (retry.length === 0 && rejected.length === 0) return { kind: 'ok' };
  return { kind: 'partial', retry, rejected };
}
