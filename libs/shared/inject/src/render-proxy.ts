// The init container that installs the capture rules, the proxy container (native sidecar or first
// container), and the volumes they share. Pure renderers of Kubernetes objects.
import { toArgs, type CaptureSpec } from '@outrigger/netfilter';
import type { InjectConfig, SidecarMode } from './inject-config.ts';
import type { Container, EnvVar, Probe, ResourceRequirements, Volume } from './k8s.ts';
import { ANNOTATIONS, CONTAINERS, ENV, PATHS, VOLUMES } from './names.ts';
import type { AppProbe } from './rewrite-probes.ts';

export const TOKEN_AUDIENCE = 'outrigger';
const TOKEN_SECONDS = 3600; // the kubelet refreshes it at 80 %; the proxy re-reads it per CSR

export function renderInitContainer(config: InjectConfig, spec: CaptureSpec): Container {
  return {
    name: CONTAINERS.init,
    image: config.image,
    ...pullPolicy(config),
    command: ['outrigger-injector'],
    args: ['init', ...toArgs(spec)],
    // iptables needs root with NET_ADMIN and NET_RAW, and nothing else.
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
    // iptables takes its lock in /run/xtables.lock: a small writable /run on a read-only root.
    volumeMounts: [{ name: VOLUMES.xtables, mountPath: '/run' }],
  };
}

export interface ProxyContainerInput {
  config: InjectConfig;
  spec: CaptureSpec;
  mode: SidecarMode;
  resources: ResourceRequirements;
  appProbes: Record<string, AppProbe>;
}

export function renderProxyContainer({ config, spec, mode, resources, appProbes }: ProxyContainerInput): Container {
  const admin = (path: string, periodSeconds: number, failureThreshold: number): Probe =>
    ({ httpGet: { path, port: spec.adminPort, scheme: 'HTTP' }, periodSeconds, failureThreshold, timeoutSeconds: 1 });
  const readyUrl = `http://127.0.0.1:${spec.adminPort}/ready`;
  return {
    name: CONTAINERS.proxy,
    image: config.image,
    ...pullPolicy(config),
    command: ['outrigger-proxy'],
    args: ['--config', PATHS.proxyConfig],
    ports: [{ name: 'outrigger-admin', containerPort: spec.adminPort, protocol: 'TCP' }],
    env: [...downwardEnv(), ...(Object.keys(appProbes).length > 0 ? [{ name: ENV.appProbes, value: JSON.stringify(appProbes) }] : [])],
    resources,
    securityContext: restrictedAs(spec.proxyUid, spec.proxyGid),
    volumeMounts: [
      { name: VOLUMES.config, mountPath: PATHS.configDir, readOnly: true },
      { name: VOLUMES.token, mountPath: PATHS.tokenDir, readOnly: true },
      { name: VOLUMES.log, mountPath: PATHS.logDir },
      { name: VOLUMES.keys, mountPath: PATHS.keysDir },
    ],
    readinessProbe: admin('/ready', 5, 3),
    livenessProbe: admin('/live', 10, 6),
    ...(mode === 'native'
      // A native sidecar's next init container starts only once this succeeds: the app never
      // starts before the proxy is ready (listeners bound, certificate in hand).
      ? { restartPolicy: 'Always', startupProbe: admin('/ready', 1, 120) }
      // Without native sidecars the kubelet starts containers in order and waits for each
      // postStart hook: holding it until /ready keeps the app from starting early.
      : { lifecycle: { postStart: { exec: { command: ['outrigger-injector', 'wait-ready', '--url', readyUrl, '--timeout-seconds', '120'] } } } }),
  };
}

export function downwardEnv(): EnvVar[] {
  const field = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return [field(ENV.podIp, 'status.podIP'), field(ENV.namespace, 'metadata.namespace'), field(ENV.serviceAccount, 'spec.serviceAccountName')];
}

export function restrictedAs(uid: number, gid: number): NonNullable<Container['securityContext']> {
  return {
    runAsUser: uid,
    runAsGroup: gid,
    runAsNonRoot: true,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function pullPolicy(config: InjectConfig): Pick<Container, 'imagePullPolicy'> {
  return config.imagePullPolicy === undefined ? {} : { imagePullPolicy: config.imagePullPolicy };
}

export function renderProxyVolumes(logExporter: boolean): Volume[] {
  const annotation = (name: string) => ({ fieldRef: { fieldPath: `metadata.annotations['${name}']` } });
  const items = [{ path: 'proxy.yaml', ...annotation(ANNOTATIONS.proxyConfig) }, { path: 'ca.crt', ...annotation(ANNOTATIONS.caBundle) }];
  if (logExporter) items.push({ path: 'log-exporter.yaml', ...annotation(ANNOTATIONS.logExporterConfig) });
  return [
    { name: VOLUMES.config, downwardAPI: { items } },
    { name: VOLUMES.token, projected: { sources: [{ serviceAccountToken: { audience: TOKEN_AUDIENCE, expirationSeconds: TOKEN_SECONDS, path: 'token' } }] } },
    { name: VOLUMES.log, emptyDir: {} },
    // tmpfs: whatever key material lands here never reaches the node's disk.
    { name: VOLUMES.keys, emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
    { name: VOLUMES.xtables, emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
  ];
}
