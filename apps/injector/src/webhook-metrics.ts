// The webhook's own metrics, served on GET /metrics of its port: one counter of answers by result
// and reason (both from closed sets: AdmissionOutcome and the webhook's error kinds) and their
// latency. docs/reference/injector.md lists them.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ReviewResult = 'injected' | 'skipped' | 'ignored' | 'error' | 'bad_request';

export interface WebhookMetrics {
  registry: Registry;
  observe(result: ReviewResult, reason: string, seconds: number): void;
}

export function createWebhookMetrics(): WebhookMetrics {
  const registry = new Registry();
  const reviews = new Counter({
    name: 'outrigger_injector_admission_reviews_total',
    help: 'AdmissionReview requests answered, by result (injected, skipped, ignored, error, bad_request) and reason.',
    labelNames: ['result', 'reason'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'outrigger_injector_admission_review_duration_seconds',
    help: 'Time from the request arriving to the answer being sent, by result.',
    labelNames: ['result'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  collectDefaultMetrics({ register: registry, prefix: 'outrigger_injector_' });
  return {
    registry,
    observe(result, reason, seconds) {
      reviews.inc({ result, reason });
      duration.observe({ result }, seconds);
    },
  };
}
