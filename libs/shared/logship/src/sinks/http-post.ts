// POSTs a batch body to an HTTP(S) endpoint over kept-alive connections and returns the answer,
// or the transport failure as a closed reason. Shared by the Loki, Elasticsearch and HTTP sinks.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { classifySocketError, describeError } from './classify.ts';
import type { SendResult } from './sink.ts';

export interface HttpTarget {
  readonly url: URL;
  /** Sent with every request (authorization, tenant...). */
  readonly headers: Readonly<Record<string, string>>;
  /** Whole request, connect to last response byte. */
  readonly timeoutMs: number;
  /** For https: ca, cert, key, servername, rejectUnauthorized. */
  readonly tls?: ConnectionOptions;
  /** Concurrent connections (the shipper's in-flight limit). */
  readonly maxSockets: number;
}

export type HttpAnswer =
  | { kind: 'answer'; status: number; retryAfter: string | undefined; body: string }
  | { kind: 'failed'; result: SendResult };

export class HttpPoster {
  readonly #target: HttpTarget;
  readonly #agent: HttpAgent;
  #closed = false;

  constructor(target: HttpTarget) {
    this.#target = target;
    const https = target.url.protocol === 'https:';
    const options = { keepAlive: true, maxSockets: target.maxSockets, ...(https ? target.tls : {}) };
    this.#agent = https ? new HttpsAgent(options) : new HttpAgent(options);
  }

  /** Never rejects. maxBodyBytes bounds how much of the answer is kept (the rest is read and dropped). */
  post(url: URL, body: string | Buffer, contentType: string, maxBodyBytes: number): Promise<HttpAnswer> {
    if (this.#closed) return Promise.resolve({ kind: 'failed', result: { kind: 'retry', reason: 'connection_lost', detail: 'the sink is closed' } });
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let done = false;
      const finish = (answer: HttpAnswer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(answer);
      };
      const req = request(url, {
        method: 'POST',
        agent: this.#agent,
        headers: { ...this.#target.headers, 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
      });
      const timer = setTimeout(() => {
        req.destroy();
        finish({ kind: 'failed', result: { kind: 'retry', reason: 'timeout', detail: `no answer within ${this.#target.timeoutMs} ms` } });
      }, this.#target.timeoutMs);
      req.on('error', (err) => finish({ kind: 'failed', result: { kind: 'retry', reason: classifySocketError(err), detail: describeError(err) } }));
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < maxBodyBytes) chunks.push(chunk.subarray(0, maxBodyBytes - kept));
          kept += chunk.length;
        });
        res.on('error', (err) => finish({ kind: 'failed', result: { kind: 'retry', reason: classifySocketError(err), detail: describeError(err) } }));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          finish({ kind: 'answer', status: res.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(body);
    });
  }

  close(): void {
    this.#closed = true;
    this.#agent.destroy(); // in-flight requests fail with a socket error and resolve as retries
  }
}
