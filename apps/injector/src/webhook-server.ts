// The admission webhook over HTTPS: POST /inject takes an AdmissionReview v1 and answers one
// (@outrigger/inject decides; this file only moves bytes), GET /healthz for probes, GET /metrics.
// Whatever a client sends, the server answers and lives on; one log record per request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseAdmissionReview, planAdmissionResponse, type InjectConfig } from '@outrigger/inject';
import { readBody } from './read-body.ts';
import type { ReviewResult, WebhookMetrics } from './webhook-metrics.ts';

export const WEBHOOK_PATH = '/inject';
// The API server refuses requests over 3 MiB itself; an AdmissionReview of a pod stays well below.
export const MAX_REVIEW_BYTES = 3 * 1024 * 1024;

/** The closed set of refusals: the body of each is {"error": kind, "message": ...}. */
export const WEBHOOK_ERRORS = {
  bad_request: { status: 400, description: 'The body is not JSON, not an AdmissionReview v1 with a request, uid and object, or larger than 3 MiB.' },
  not_found: { status: 404, description: 'No such path: the webhook serves POST /inject, GET /healthz and GET /metrics.' },
  method_not_allowed: { status: 405, description: 'The path exists, the method does not (see the Allow header).' },
} as const;

export type WebhookErrorKind = keyof typeof WEBHOOK_ERRORS;

export interface WebhookRecord {
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  uid?: string;
  namespace?: string;
  pod?: string;
  result?: ReviewResult;
  reason?: string;
  warnings?: number;
  error?: WebhookErrorKind;
  message?: string;
}

export interface WebhookOptions {
  /** Read per request, so a reloaded mesh config applies to the next pod. */
  config(): InjectConfig;
  metrics: WebhookMetrics;
  log(record: WebhookRecord): void;
}

export function createWebhookHandler(opts: WebhookOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const record: WebhookRecord = { method: req.method ?? '', path, status: 0, duration_ms: 0 };
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      record.status = status;
      const seconds = (performance.now() - started) / 1000;
      record.duration_ms = Math.round(seconds * 1000);
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(body);
      if (record.result !== undefined) opts.metrics.observe(record.result, record.reason ?? '', seconds);
      opts.log(record);
    };
    const refuse = (kind: WebhookErrorKind, message: string, headers?: Record<string, string>) => {
      Object.assign(record, { error: kind, message });
      if (kind === 'bad_request') Object.assign(record, { result: 'bad_request', reason: message.startsWith('the body is larger') ? 'too_large' : 'malformed' });
      send(WEBHOOK_ERRORS[kind].status, `${JSON.stringify({ error: kind, message })}\n`, headers);
    };
    const only = (method: string) => {
      if (req.method === method || (method === 'GET' && req.method === 'HEAD')) return true;
      refuse('method_not_allowed', `${req.method} is not allowed on ${path}; use ${method}`, { allow: method === 'GET' ? 'GET, HEAD' : method });
      return false;
    };
    if (path === '/healthz') {
      if (only('GET')) send(200, '{"status":"ok"}\n');
      return;
    }
    if (path === '/metrics') {
      if (only('GET')) {
        opts.metrics.registry.metrics().then(
          (text) => send(200, text, { 'content-type': opts.metrics.registry.contentType }),
          (err: unknown) => send(500, `${JSON.stringify({ error: 'internal', message: (err as Error).message })}\n`),
        );
      }
      return;
    }
    if (path !== WEBHOOK_PATH) return refuse('not_found', `no such path ${path}; AdmissionReviews go to POST ${WEBHOOK_PATH}`);
    if (!only('POST')) return;
    void readBody(req, MAX_REVIEW_BYTES).then((body) => {
      if (body.kind === 'aborted') return void req.destroy();
      // Closing after a refusal: the rest of an oversized body is not worth reading.
      if (body.kind === 'too-large') return refuse('bad_request', `the body is larger than ${MAX_REVIEW_BYTES / 1024 / 1024} MiB`, { connection: 'close' });
      const parsed = parseAdmissionReview(body.text);
      if (!parsed.ok) return refuse('bad_request', parsed.message);
      const { request } = parsed;
      Object.assign(record, { uid: request.uid, namespace: request.namespace, pod: request.object.metadata?.name ?? request.object.metadata?.generateName });
      const { review, outcome } = planAdmissionResponse(request, opts.config());
      const warnings = (review as { response: { warnings?: string[] } }).response.warnings;
      Object.assign(record, { result: outcome.result, reason: outcome.reason, ...(warnings ? { warnings: warnings.length, message: warnings.join('; ') } : {}) });
      send(200, JSON.stringify(review));
    });
  };
}

export interface RunningWebhook {
  server: Server;
  address: string;
  port: number;
  setServingCertificate(tls: { cert: string; key: string }): void;
  close(): Promise<void>;
}

export async function startWebhookServer(opts: WebhookOptions & { host: string; port: number; tls: { cert: string; key: string } }): Promise<RunningWebhook> {
  const server = createServer({ ...opts.tls, minVersion: 'TLSv1.2', handshakeTimeout: 10_000 }, createWebhookHandler(opts));
  // The API server gives a webhook at most 30 s (ours: 10 s); a client slower than that is not one.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 60_000; // the API server reuses its connections to webhooks
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    server,
    address: bound.address,
    port: bound.port,
    setServingCertificate: (tls) => server.setSecureContext({ ...tls, minVersion: 'TLSv1.2' }),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}
