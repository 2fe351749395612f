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
  const annotations = pod.metadata?.annotations ?? {};
  const spec = pod.spec;
  const skip = (reason: SkipReason, detail?: string) => ({ reason, message: detail ?? SKIP_REASONS[reason] });
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
