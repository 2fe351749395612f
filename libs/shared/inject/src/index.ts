// Sidecar injection as data, pure: which pods get the sidecar, the pod with it, the JSON Patch
// between the two, the AdmissionReview answer, and manual injection of workloads. The webhook
// server and the `inject` command (apps/injector) do the I/O around it.
export { injectPod, type InjectDecision, type InjectOptions, type InjectStatus } from './inject-pod.ts';
export { injectWorkload, type WorkloadResult } from './inject-workload.ts';
export { defaultInjectConfig, defaultMeshConfig, DEFAULT_IMAGE, DEFAULT_SKIP_NAMESPACES, type InjectConfig, type SidecarMode, type ResourceDefaults } from './inject-config.ts';
export { planSkip, podShapeProblem, SKIP_REASONS, type SkipReason } from './plan-decision.ts';
export { parsePodSettings, type PodSettings, type ConfigWatch } from './pod-settings.ts';
export { planPatch, applyPatch, deepEqual, pointerSegment, PatchError, type PatchOperation } from './json-patch.ts';
export { parseAdmissionReview, planAdmissionResponse, type AdmissionRequest, type AdmissionParse, type AdmissionOutcome } from './admission.ts';
export { TOKEN_AUDIENCE } from './render-proxy.ts';
export { type AppProbe } from './rewrite-probes.ts';
export { ANNOTATIONS, ANNOTATION_DOCS, CONTAINERS, ENV, INJECT_LABEL, PATHS, PROMETHEUS, VOLUMES, type AnnotationDoc } from './names.ts';
export type { PodLike, Container, PodSpec, ObjectMeta } from './k8s.ts';
export { closest } from './closest.ts';
