// Whether a pod gets the sidecar, before anything is built. The skip reasons are a closed set: the
// webhook counts them in a metric label and docs/reference/injector.md lists them.
import type { InjectConfig } from './inject-config.ts';
import type { PodLike } from './k8s.ts';
import { ANNOTATIONS, CONTAINERS, INJECT_LABEL, OTHER_MESH_ANNOTATIONS, OTHER_MESH_CONTAINERS, VOLUMES } from './names.ts';

export const SKIP_REASONS = {
  disabled: 'the pod annotation outrigger.io/inject is "disabled"',
  not_enabled: 'neither the namespace label nor the pod annotation outrigger.io/inject is "enabled"',
  excluded_namespace: 'the namespace is one the injector never touches (kube-system and the like)',
  host_network: 'the pod uses the host network: capture rules would redirect the node\'s traffic',
  already_injected: 'the pod already has the sidecar (annotation outrigger.io/status, or a container or volume of ours)',
  other_mesh: "the pod carries another mesh's proxy (Istio, Linkerd)",
  invalid_annotation: 'an outrigger.io/* annotation has a value the injector cannot use',
  invalid_pod: 'the pod is not one Kubernetes would accept (no containers, or a field of the wrong type)',
} as const;

export type SkipReason = keyof typeof SKIP_REASONS;

export interface DecisionInput {
  /** The pod's namespace (the AdmissionReview's, which the pod itself may not carry yet). */
  namespace: string | undefined;
  namespaceLabels: Readonly<Record<string, string>>;
  config: InjectConfig;
}

/** undefined: inject. Otherwise why not, in a sentence naming the detail. */
export function planSkip(pod: PodLike, input: DecisionInput): { reason: SkipReason; message: string } | undefined {
  const skip = (reason: SkipReason, detail?: string) => ({ reason, message: detail ?? SKIP_REASONS[reason] });
  const shape = podShapeProblem(pod);
  if (shape !== undefined) return skip('invalid_pod', shape);
  const annotations = pod.metadata?.annotations ?? {};
  const spec = pod.spec;
  if (annotations[ANNOTATIONS.status] !== undefined) return skip('already_injected');
  const podChoice = annotations[ANNOTATIONS.inject];
  if (podChoice === 'disabled') return skip('disabled');
  if (podChoice !== undefined && podChoice !== 'enabled') {
    return skip('invalid_annotation', `${ANNOTATIONS.inject}: ${JSON.stringify(podChoice)} is not one of enabled, disabled`);
  }
  const namespace = input.namespace ?? pod.metadata?.namespace;
  if (namespace !== undefined && input.config.skipNamespaces.includes(namespace)) return skip('excluded_namespace', `the namespace ${namespace} is never injected`);
  if (podChoice !== 'enabled' && input.namespaceLabels[INJECT_LABEL] !== 'enabled') return skip('not_enabled');
  if (spec?.hostNetwork === true) return skip('host_network');
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.name);
  const ours = Object.values(CONTAINERS).find((name) => containers.includes(name))
    ?? Object.values(VOLUMES).find((name) => spec?.volumes?.some((v) => v.name === name));
  if (ours !== undefined) return skip('already_injected', `the pod already has ${ours}, though no outrigger.io/status annotation`);
  const foreign = OTHER_MESH_CONTAINERS.find((name) => containers.includes(name)) ?? OTHER_MESH_ANNOTATIONS.find((name) => annotations[name] !== undefined);
  if (foreign !== undefined) return skip('other_mesh', `the pod carries another mesh's proxy (${foreign})`);
  return undefined;
}

/**
 * What makes `pod` (a Pod or a pod template, as parsed from YAML or JSON) one that Kubernetes
 * would refuse, as far as injection reads it: the first such field with its path under `at`
 * (`spec.template` for a Deployment's), or undefined. The API server's own validation runs after
 * the webhook, and `inject -f` reads files nobody validated, so nothing else may be assumed.
 */
export function podShapeProblem(pod: unknown, at = ''): string | undefined {
  const path = (field: string) => (at ? `${at}.${field}` : field);
  if (!isObject(pod)) return `${at || 'the pod'} is ${pod === undefined ? 'missing' : 'not an object'}`;
  const { metadata, spec } = pod;
  if (metadata !== undefined && !isObject(metadata)) return `${path('metadata')} is not an object`;
  const annotations = isObject(metadata) ? metadata.annotations : undefined;
  if (annotations !== undefined && annotations !== null) {
    if (!isObject(annotations)) return `${path('metadata.annotations')} is not a map`;
    const [key] = Object.entries(annotations).find(([, value]) => typeof value !== 'string') ?? [];
    if (key !== undefined) return `${path(`metadata.annotations.${key}`)} is not a string (quote it in YAML: "${String(annotations[key])}")`;
  }
  if (spec === undefined) return `${path('spec')} is missing`;
  if (!isObject(spec)) return `${path('spec')} is not an object`;
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) return `${path('spec.containers')} is missing or empty: a pod needs at least one container`;
  for (const field of ['containers', 'initContainers', 'volumes'] as const) {
    const list = spec[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) return `${path(`spec.${field}`)} is not a list`;
    const bad = list.findIndex((item) => !isObject(item) || typeof item.name !== 'string' || item.name === '');
    if (bad >= 0) return `${path(`spec.${field}[${bad}]`)} has no name`;
    if (field === 'volumes') continue;
    const ports = list.findIndex((c) => isObject(c) && c.ports !== undefined && c.ports !== null && !Array.isArray(c.ports));
    if (ports >= 0) return `${path(`spec.${field}[${ports}].ports`)} is not a list`;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
