// Watches a config URL by polling it with conditional GETs (ETag / If-None-Match and
// Last-Modified / If-Modified-Since): a 304 costs one small exchange and nothing else. On errors
// the next poll comes after an exponential backoff with jitter instead of the interval.
import { loadUrl, type UrlTlsOptions } from './load-url.ts';
import { DEFAULT_MAX_SNAPSHOT_BYTES } from './load-directory.ts';
import { DEFAULT_BACKOFF, planBackoff, type BackoffPolicy } from './plan-backoff.ts';
import { parseUrlFileName, parseValidators, planConditionalHeaders, type HttpValidators } from './plan-http-poll.ts';
import { planSnapshot } from './plan-snapshot.ts';
import { createDelivery, createSerialRunner, type ConfigWatch, type WatchOptions } from './watch-delivery.ts';

/** What one poll came to: a new config, the same bytes again, a 304, or a failure (see onError). */
export type PollResult = 'changed' | 'unchanged' | 'not_modified' | 'error';

export interface UrlWatchOptions extends WatchOptions {
  /** Interval between polls while the source is healthy, in ms; default 10 000. */
  pollMs?: number;
  /** Deadline for one request (connect, TLS, headers, body), in ms; default 10 000. */
  timeoutMs?: number;
  /** Schedule of retries after failures; default 1 s doubling to 60 s, half of each randomised. */
  backoff?: BackoffPolicy;
  /** The name the body gets in the snapshot; default the last segment of the URL path, else `config`. */
  fileName?: string;
  /** Extra request headers, e.g. authorization. */
  headers?: Readonly<Record<string, string>>;
  tls?: UrlTlsOptions;
  /** Default 8 MiB. */
  maxBytes?: number;
  /** Called after every poll, for metrics. */
  onPoll?: (result: PollResult) => void;
}

export const DEFAULT_URL_POLL_MS = 10_000;
export const DEFAULT_URL_TIMEOUT_MS = 10_000;

/** Starts polling; the first request goes out at once and its body reaches onChange (previous undefined). */
export function watchUrl(url: string | URL, opts: UrlWatchOptions): ConfigWatch {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new TypeError(`watchUrl needs an http: or https: URL, not ${target.protocol}`);
  const pollMs = opts.pollMs ?? DEFAULT_URL_POLL_MS;
  const fileName = opts.fileName ?? parseUrlFileName(target);
  const delivery = createDelivery(opts);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  const abort = new AbortController();
  // Kept only once onChange accepted the body: after a failed delivery the next poll must get a
  // full 200 again, not a 304 for a version that was never applied.
  let validators: HttpValidators = {};

  const pollOnce = async (): Promise<PollResult> => {
    let response;
    try {
      response = await loadUrl(target, {
        headers: { ...opts.headers, ...planConditionalHeaders(validators) },
        timeoutMs: opts.timeoutMs ?? DEFAULT_URL_TIMEOUT_MS,
        maxBytes: opts.maxBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES,
        tls: opts.tls,
        signal: abort.signal,
      });
    } catch (err) {
      failures++;
      if (!closed) opts.onError(err as Error);
      return 'error';
    }
    if (response.status === 304) {
      failures = 0;
      return 'not_modified';
    }
    if (closed) return 'unchanged';
    const offer = await delivery.offer(planSnapshot([[fileName, response.body]]));
    if (offer === 'failed') {
      validators = {};
      failures++;
      return 'error';
    }
    validators = parseValidators(response.headers);
    failures = 0;
    return offer;
  };

  const runner = createSerialRunner(async () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    const result = await pollOnce();
    opts.onPoll?.(result);
    if (closed) return;
    timer = setTimeout(() => void runner.run(), failures > 0 ? planBackoff(failures, opts.backoff ?? DEFAULT_BACKOFF) : pollMs);
    timer.unref();
  });
  void runner.run();

  return {
    current: delivery.current,
    check: () => (closed ? Promise.resolve() : runner.run()),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      abort.abort();
      await runner.idle();
    },
  };
}
