// AdmissionReview v1 in, AdmissionReview v1 out, pure: the webhook's whole decision. Every answer
// that gets this far allows the pod. A pod we skip gets no patch; a failure inside injection gets a
// warning instead of a refusal, since a broken sidecar must never stop a workload from starting.
import type { InjectConfig } from './inject-config.ts';
import { injectPod } from './inject-pod.ts';
import type { PodLike } from './k8s.ts';
import { INJECT_LABEL } from './names.ts';
import { planPatch } from './json-patch.ts';

export interface AdmissionRequest {
  uid: string;
  kind: { group?: string; version?: string; kind?: string } | undefined;
  operation: string | undefined;
  subResource: string | undefined;
  namespace: string | undefined;
  object: PodLike;
}

export type AdmissionParse = { ok: true; request: AdmissionRequest } | { ok: false; message: string };

/** For metrics and logs: injected, skipped (reason: a SkipReason), ignored (not a pod creation), error. */
export interface AdmissionOutcome {
  result: 'injected' | 'skipped' | 'ignored' | 'error';
  reason: string;
}

/** Reads the body the API server sends; a message for anything that is not an AdmissionReview v1. */
export function parseAdmissionReview(body: string): AdmissionParse {
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch {
    return { ok: false, message: 'the body is not JSON' };
  }
  const { apiVersion, kind, request } = (review ?? {}) as { apiVersion?: unknown; kind?: unknown; request?: Record<string, unknown> };
  if (apiVersion !== 'admission.k8s.io/v1' || kind !== 'AdmissionReview') {
    return { ok: false, message: `expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got ${JSON.stringify(apiVersion)} ${JSON.stringify(kind)} (set admissionReviewVersions: [v1])` };
  }
  if (typeof request !== 'object' || request === null) return { ok: false, message: 'the AdmissionReview has no request' };
  const { uid, object } = request;
  if (typeof uid !== 'string' || uid === '') return { ok: false, message: 'the AdmissionReview request has no uid' };
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return { ok: false, message: 'the AdmissionReview request has no object' };
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    ok: true,
    request: {
      uid,
      kind: typeof request.kind === 'object' && request.kind !== null ? (request.kind as AdmissionRequest['kind']) : undefined,
      operation: text(request.operation),
      subResource: text(request.subResource),
      namespace: text(request.namespace),
      object: object as PodLike,
    },
  };
}

/**
 * The answer to one request. The namespaceSelector already limited requests to namespaces
 * labelled outrigger.io/inject=enabled, so every namespace that reaches us counts as enabled.
 */
export function planAdmissionResponse(request: AdmissionRequest, config: InjectConfig): { review: object; outcome: AdmissionOutcome } {
  const answer = (outcome: AdmissionOutcome, extra: Record<string, unknown> = {}) => ({
    review: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.uid, allowed: true, ...extra } },
    outcome,
  });
  const isPod = (request.kind?.group ?? '') === '' && request.kind?.kind === 'Pod';
  if (!isPod || request.operation !== 'CREATE' || request.subResource !== undefined) {
    return answer({ result: 'ignored', reason: 'not_a_pod_creation' });
  }
  try {
    const namespaceLabels = { [INJECT_LABEL]: 'enabled' };
    const { pod, decision } = injectPod(request.object, { namespace: request.namespace, namespaceLabels, config });
    if (decision.kind === 'skipped') {
      // Problems of the pod itself are worth a line in kubectl's output; a deliberate skip is not.
      const warnings = decision.reason === 'invalid_annotation' || decision.reason === 'invalid_pod' ? [`outrigger: sidecar not injected: ${decision.message}`] : [];
      return answer({ result: 'skipped', reason: decision.reason }, warnings.length > 0 ? { warnings } : {});
    }
    // Through JSON first: the patch must describe the pod exactly as it will be serialized.
    const patch = planPatch(request.object, JSON.parse(JSON.stringify(pod)));
    const warnings = decision.warnings.map((w) => `outrigger: ${w}`);
    return answer({ result: 'injected', reason: decision.sidecar }, {
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
      ...(warnings.length > 0 ? { warnings } : {}),
    });
  } catch (err) {
    return answer({ result: 'error', reason: 'internal' }, { warnings: [`outrigger: sidecar not injected: internal error: ${err instanceof Error ? err.message : String(err)}`] });
  }
}
