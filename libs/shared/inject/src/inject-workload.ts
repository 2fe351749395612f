// injectPod applied to any object `inject -f` meets: a Pod itself, the pod template of a workload,
// or nothing (every other kind passes through untouched, as kubectl would apply it).
import { injectPod, type InjectDecision } from './inject-pod.ts';
import type { InjectConfig } from './inject-config.ts';
import type { PodLike } from './k8s.ts';
import { INJECT_LABEL } from './names.ts';
import { podShapeProblem } from './plan-decision.ts';

/** Where each kind keeps the pod it makes. */
const TEMPLATE_PATHS: Record<string, readonly string[]> = {
  'v1/Pod': [],
  'apps/v1/Deployment': ['spec', 'template'],
  'apps/v1/StatefulSet': ['spec', 'template'],
  'apps/v1/DaemonSet': ['spec', 'template'],
  'apps/v1/ReplicaSet': ['spec', 'template'],
  'batch/v1/Job': ['spec', 'template'],
  'batch/v1/CronJob': ['spec', 'jobTemplate', 'spec', 'template'],
};

export type WorkloadResult =
  | { kind: 'not-a-workload'; object: unknown }
  | { kind: 'workload'; object: unknown; decision: InjectDecision };

/**
 * Manual injection is the user asking for it: the namespace counts as enabled unless the pod's
 * own annotation says disabled. The usual skips (host network, kube-system, ...) still apply.
 */
export function injectWorkload(object: unknown, config: InjectConfig): WorkloadResult {
  const typed = object as { apiVersion?: unknown; kind?: unknown; metadata?: { namespace?: unknown } } | null;
  const path = typeof typed === 'object' && typed !== null ? TEMPLATE_PATHS[`${String(typed.apiVersion)}/${String(typed.kind)}`] : undefined;
  if (path === undefined) return { kind: 'not-a-workload', object };
  const template = path.reduce<unknown>((node, segment) => (isRecord(node) ? node[segment] : undefined), object);
  // A workload whose pod template is missing or malformed is refused, never passed through as if it were another kind.
  const shape = podShapeProblem(template, path.join('.'));
  if (shape !== undefined) return { kind: 'workload', object, decision: { kind: 'skipped', reason: 'invalid_pod', message: shape, warnings: [] } };
  const namespace = typeof typed?.metadata?.namespace === 'string' ? typed.metadata.namespace : undefined;
  const { pod, decision } = injectPod(template as PodLike, { namespace, namespaceLabels: { [INJECT_LABEL]: 'enabled' }, config });
  if (decision.kind === 'skipped') return { kind: 'workload', object, decision };
  if (path.length === 0) return { kind: 'workload', object: pod, decision };
  const copy = structuredClone(object);
  const parent = path.slice(0, -1).reduce<unknown>((node, segment) => (node as Record<string, unknown>)[segment], copy) as Record<string, unknown>;
  parent[path[path.length - 1] as string] = pod;
  return { kind: 'workload', object: copy, decision };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
