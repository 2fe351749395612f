// injectPod: a pod (or pod template) in, the pod with the Outrigger sidecar out, on a copy, plus
// the decision. Idempotent: an injected pod carries outrigger.io/status and is returned unchanged.
// The webhook's JSON Patch is the diff of the two; `inject` writes the result as YAML.
import { closest } from './closest.ts';
import type { InjectConfig, SidecarMode } from './inject-config.ts';
import type { Container, PodLike, Volume } from './k8s.ts';
import { ANNOTATIONS } from './names.ts';
import { planSkip, type DecisionInput, type SkipReason } from './plan-decision.ts';
import { planMetrics } from './plan-metrics.ts';
import { planPodCapture } from './plan-pod-capture.ts';
import { planResources } from './plan-resources.ts';
import { parsePodSettings } from './pod-settings.ts';
import { planConfigWatcher, planLogExporter } from './render-helpers.ts';
import { renderInitContainer, renderProxyContainer, renderProxyVolumes } from './render-proxy.ts';
import { renderProxyConfig } from './render-proxy-config.ts';
import { rewriteProbes } from './rewrite-probes.ts';

export type InjectDecision =
  | { kind: 'injected'; sidecar: SidecarMode; warnings: string[] }
  | { kind: 'skipped'; reason: SkipReason; message: string; warnings: string[] };

export type InjectOptions = DecisionInput;

/** What outrigger.io/status records: enough to see, and one day undo, what was added. */
export interface InjectStatus {
  version: string;
  sidecar: SidecarMode;
  initContainers: string[];
  containers: string[];
  volumes: string[];
  probes: string[];
}

// Pods are JSON (they come from the API server or YAML): a JSON round trip is the cheapest deep copy.
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function injectPod<T extends PodLike>(pod: T, options: InjectOptions): { pod: T; decision: InjectDecision } {
  const { config } = options;
  const skip = planSkip(pod, options);
  if (skip !== undefined) return { pod: copy(pod), decision: { kind: 'skipped', ...skip, warnings: [] } };
  const annotations = pod.metadata?.annotations ?? {};
  const { settings, problems } = parsePodSettings(annotations);
  const capture = planPodCapture(settings, config);
  const resources = planResources(settings.resources, config.proxyResources);
  const invalid = [...problems, ...capture.problems, ...resources.problems];
  if (invalid.length > 0) {
    return { pod: copy(pod), decision: { kind: 'skipped', reason: 'invalid_annotation', message: invalid.join('; '), warnings: [] } };
  }

  const out = copy(pod);
  const spec = (out.spec ??= { containers: [] });
  const { spec: captureSpec } = capture;
  const mode = settings.sidecar ?? config.sidecar;
  const warnings: string[] = [];
  const probes = rewriteProbes(spec.containers, captureSpec.adminPort);
  warnings.push(...probes.warnings);
  const metrics = planMetrics(annotations, captureSpec.adminPort);
  warnings.push(...metrics.warnings, ...unknownAnnotations(annotations));

  const helpers: Container[] = [];
  const volumes: Volume[] = [...renderProxyVolumes(settings.logExport !== undefined)];
  const extraAnnotations: Record<string, string> = {};
  let appContainers = probes.containers;
  if (settings.logExport !== undefined) {
    const exporter = planLogExporter(config, settings.logExport);
    helpers.push(exporter.container);
    volumes.push(...exporter.volumes);
    extraAnnotations[ANNOTATIONS.logExporterConfig] = exporter.config;
  }
  if (settings.configWatch !== undefined) {
    const watcher = planConfigWatcher(config, settings.configWatch, { ...spec, containers: appContainers });
    helpers.push(watcher.container);
    volumes.push(...watcher.volumes);
    appContainers = watcher.appContainers;
    warnings.push(...watcher.warnings);
    if (watcher.shareProcessNamespace) spec.shareProcessNamespace = true;
  }
  const proxy = renderProxyContainer({ config, spec: captureSpec, mode, resources: resources.resources, appProbes: probes.appProbes });
  const init = renderInitContainer(config, captureSpec);
  const appInit = spec.initContainers ?? [];
  // Native: the proxy and helpers start before the app's own init containers, whose connections
  // the rules already capture. Legacy: they cannot, and those connections fail until it is up.
  const ours = mode === 'native' ? { init: [init, proxy, ...helpers], main: [] } : { init: [init], main: [proxy, ...helpers] };
  if (mode === 'legacy') warnings.push(...legacyWarnings(spec.restartPolicy, appInit.length));
  spec.initContainers = [...ours.init, ...appInit];
  spec.containers = [...ours.main, ...appContainers];
  spec.volumes = [...(spec.volumes ?? []), ...volumes];

  const status: InjectStatus = {
    version: config.version,
    sidecar: mode,
    initContainers: ours.init.map((c) => c.name),
    containers: ours.main.map((c) => c.name),
    volumes: volumes.map((v) => v.name),
    probes: Object.keys(probes.appProbes),
  };
  const proxyConfig = renderProxyConfig({
    mesh: config.meshConfig,
    settings,
    spec: captureSpec,
    appMetricsUrl: metrics.appUrl,
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
  });
  const metadata = (out.metadata ??= {});
  metadata.annotations = {
    ...annotations,
    ...metrics.set,
    [ANNOTATIONS.proxyConfig]: proxyConfig,
    [ANNOTATIONS.caBundle]: config.caBundlePem,
    ...extraAnnotations,
    [ANNOTATIONS.status]: JSON.stringify(status),
  };
  return { pod: out, decision: { kind: 'injected', sidecar: mode, warnings } };
}

function legacyWarnings(restartPolicy: string | undefined, appInitCount: number): string[] {
  const warnings: string[] = [];
  if (restartPolicy === 'Never' || restartPolicy === 'OnFailure') {
    warnings.push('legacy sidecar in a pod that runs to completion: the pod ends only when the proxy does (POST /shutdown to its admin port); use outrigger.io/sidecar: native on Kubernetes 1.29+');
  }
  if (appInitCount > 0) {
    warnings.push("legacy sidecar: the pod's own init containers run before the proxy, so their outbound TCP connections fail (skip their ports with outrigger.io/skip-outbound-ports, or use a native sidecar)");
  }
  return warnings;
}

const PREFIX = 'outrigger.io/';
const KNOWN_ANNOTATIONS = Object.values(ANNOTATIONS).map((name) => name.slice(PREFIX.length));

/** outrigger.io/* annotations the injector does not know: a typo would otherwise be silently ignored. */
function unknownAnnotations(annotations: Readonly<Record<string, string>>): string[] {
  return Object.keys(annotations)
    .filter((name) => name.startsWith(PREFIX) && !KNOWN_ANNOTATIONS.includes(name.slice(PREFIX.length)))
    .map((name) => {
      const near = closest(name.slice(PREFIX.length), KNOWN_ANNOTATIONS);
      return `unknown annotation ${name} ignored${near === undefined ? '' : ` (did you mean ${PREFIX}${near}?)`}`;
    });
}
