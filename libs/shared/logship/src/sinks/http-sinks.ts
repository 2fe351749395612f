// The HTTP destinations: Loki's push API, Elasticsearch/OpenSearch _bulk, and a generic NDJSON
// POST. Each renders a batch (pure renderers beside this file), posts it and reads the answer.
import type { LogLine } from '../log-line.ts';
import { classifyHttpStatus } from './classify.ts';
import { HttpPoster, type HttpTarget } from './http-post.ts';
import { BULK_FILTER_PATH, parseBulkResponse, renderBulk, type BulkFormat } from './render-bulk.ts';
import { renderLokiPush, type LokiFormat } from './render-loki.ts';
import { renderNdjson } from './render-ndjson.ts';
import type { Batch, SendResult, Sink } from './sink.ts';

/**
 * Request bodies by batch (the lines array a retry sends again): rendering once per batch keeps an
 * aggregator outage from turning every retry into megabytes of fresh garbage. Weak: a batch that
 * is done takes its body with it.
 */
class BodyCache {
  readonly #bodies = new WeakMap<readonly LogLine[], Buffer>();
  get(lines: readonly LogLine[], render: () => string | Buffer): Buffer {
    let body = this.#bodies.get(lines);
    if (body === undefined) {
      const rendered = render();
      body = typeof rendered === 'string' ? Buffer.from(rendered, 'utf8') : rendered; // encoded once, not on every attempt
      this.#bodies.set(lines, body);
    }
    return body;
  }
}

/** Error bodies are kept for the log and the dead-letter reason; their head is enough. */
const ERROR_BODY_BYTES = 4096;
/** A filtered _bulk answer is about 40 bytes per item. */
const BULK_BODY_BYTES = 16 * 1024 * 1024;

export class LokiSink implements Sink {
  readonly kind = 'loki' as const;
  readonly #poster: HttpPoster;
  readonly #bodies = new BodyCache();
  readonly #target: HttpTarget;
  readonly #format: LokiFormat;
  readonly #now: () => number;

  constructor(target: HttpTarget, format: LokiFormat, now: () => number = Date.now) {
    this.#target = target;
    this.#poster = new HttpPoster(target);
    this.#format = format;
    this.#now = now;
  }

  async send(batch: Batch): Promise<SendResult> {
    const body = this.#bodies.get(batch.lines, () => renderLokiPush(batch.lines, this.#format, this.#now()));
    const answer = await this.#poster.post(this.#target.url, body, 'application/json', ERROR_BODY_BYTES);
    return answer.kind === 'failed' ? answer.result : classifyHttpStatus(answer.status, answer.retryAfter, answer.body, this.#now());
  }

  async close(): Promise<void> {
    this.#poster.close();
  }
}

export class ElasticsearchSink implements Sink {
  readonly kind = 'elasticsearch' as const;
  readonly #poster: HttpPoster;
  readonly #bodies = new BodyCache();
  readonly #url: URL;
  readonly #format: BulkFormat;
  readonly #now: () => number;

  /** target.url is the cluster's base URL; requests go to <url>/_bulk. */
  constructor(target: HttpTarget, format: BulkFormat, now: () => number = Date.now) {
    const base = new URL(target.url);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.#url = new URL(`_bulk?filter_path=${BULK_FILTER_PATH}`, base);
    this.#poster = new HttpPoster(target);
    this.#format = format;
    this.#now = now;
  }

  async send(batch: Batch): Promise<SendResult> {
    const body = this.#bodies.get(batch.lines, () => renderBulk(batch.lines, this.#format, new Date(this.#now()).toISOString()));
    const answer = await this.#poster.post(this.#url, body, 'application/x-ndjson', BULK_BODY_BYTES);
    if (answer.kind === 'failed') return answer.result;
    const whole = classifyHttpStatus(answer.status, answer.retryAfter, answer.body, this.#now());
    return whole.kind === 'ok' ? parseBulkResponse(answer.body, batch.lines.length) : whole;
  }

  async close(): Promise<void> {
    this.#poster.close();
  }
}

/** Any endpoint that takes newline-delimited JSON: each line as it is when it is a JSON object, else {"message": line}. */
export class HttpNdjsonSink implements Sink {
  readonly kind = 'http' as const;
  readonly #poster: HttpPoster;
  readonly #bodies = new BodyCache();
  readonly #target: HttpTarget;
  readonly #now: () => number;

  constructor(target: HttpTarget, now: () => number = Date.now) {
    this.#target = target;
    this.#poster = new HttpPoster(target);
    this.#now = now;
  }

  async send(batch: Batch): Promise<SendResult> {
    const body = this.#bodies.get(batch.lines, () => renderNdjson(batch.lines));
    const answer = await this.#poster.post(this.#target.url, body, 'application/x-ndjson', ERROR_BODY_BYTES);
    return answer.kind === 'failed' ? answer.result : classifyHttpStatus(answer.status, answer.retryAfter, answer.body, this.#now());
  }

  async close(): Promise<void> {
    this.#poster.close();
  }
}
