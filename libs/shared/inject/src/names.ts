// Every name the injector writes into a pod or reads from one, declared once: the namespace label,
// the `outrigger.io/*` annotations (with the text docs/reference/annotations.md must carry; a test
// checks), the OUTRIGGER_* variables, and the names and paths of what it adds.

export const INJECT_LABEL = 'outrigger.io/inject';

export interface AnnotationDoc {
  name: string;
  /** Who writes it: the user (an option) or the injector (a record of what it did). */
  by: 'user' | 'injector';
  values: string;
  meaning: string;
}

export const ANNOTATIONS = {
  inject: 'outrigger.io/inject',
  sidecar: 'outrigger.io/sidecar',
  skipInboundPorts: 'outrigger.io/skip-inbound-ports',
  skipOutboundPorts: 'outrigger.io/skip-outbound-ports',
  skipOutboundCidrs: 'outrigger.io/skip-outbound-cidrs',
  opaquePorts: 'outrigger.io/opaque-ports',
  inboundMode: 'outrigger.io/inbound-mode',
  upstream: 'outrigger.io/upstream',
  logLevel: 'outrigger.io/log-level',
  proxyCpu: 'outrigger.io/proxy-cpu',
  proxyCpuLimit: 'outrigger.io/proxy-cpu-limit',
  proxyMemory: 'outrigger.io/proxy-memory',
  proxyMemoryLimit: 'outrigger.io/proxy-memory-limit',
  logExport: 'outrigger.io/log-export',
  configWatch: 'outrigger.io/config-watch',
  status: 'outrigger.io/status',
  proxyConfig: 'outrigger.io/proxy-config',
  caBundle: 'outrigger.io/ca-bundle',
  logExporterConfig: 'outrigger.io/log-exporter-config',
} as const;

export const ANNOTATION_DOCS: readonly AnnotationDoc[] = [
  { name: ANNOTATIONS.inject, by: 'user', values: '`enabled` \\| `disabled`', meaning: 'overrides the namespace label `outrigger.io/inject`' },
  { name: ANNOTATIONS.sidecar, by: 'user', values: '`native` \\| `legacy`', meaning: 'how the proxy runs: a native sidecar (Kubernetes 1.29+) or the first regular container' },
  { name: ANNOTATIONS.skipInboundPorts, by: 'user', values: 'ports, comma-separated', meaning: 'inbound ports that reach the app without the proxy' },
  { name: ANNOTATIONS.skipOutboundPorts, by: 'user', values: 'ports, comma-separated', meaning: 'outbound ports that leave without the proxy' },
  { name: ANNOTATIONS.skipOutboundCidrs, by: 'user', values: 'CIDRs, comma-separated', meaning: 'destinations reached without the proxy' },
  { name: ANNOTATIONS.opaquePorts, by: 'user', values: 'ports, comma-separated', meaning: 'ports never sniffed (server-first protocols); replaces the mesh default list; an empty value: no opaque port' },
  { name: ANNOTATIONS.inboundMode, by: 'user', values: '`permissive` \\| `strict`', meaning: 'what inbound ports accept: mesh mTLS or plaintext, or mesh mTLS only' },
  { name: ANNOTATIONS.upstream, by: 'user', values: '`localhost` \\| `pod-ip`', meaning: 'where the proxy forwards inbound connections' },
  { name: ANNOTATIONS.logLevel, by: 'user', values: '`trace` \\| `debug` \\| `info` \\| `warn` \\| `error` \\| `fatal` \\| `silent`', meaning: "level of the proxy's own log" },
  { name: ANNOTATIONS.proxyCpu, by: 'user', values: 'a CPU quantity', meaning: 'CPU request of the proxy' },
  { name: ANNOTATIONS.proxyCpuLimit, by: 'user', values: 'a CPU quantity', meaning: 'CPU limit of the proxy' },
  { name: ANNOTATIONS.proxyMemory, by: 'user', values: 'a memory quantity', meaning: 'memory request of the proxy' },
  { name: ANNOTATIONS.proxyMemoryLimit, by: 'user', values: 'a memory quantity', meaning: 'memory limit of the proxy' },
  { name: ANNOTATIONS.logExport, by: 'user', values: 'a sink URL, or `stdout`', meaning: 'adds the log-exporter sidecar, shipping the access log there' },
  { name: ANNOTATIONS.configWatch, by: 'user', values: '`source=...,path=...[,process=...][,notify=...]`', meaning: 'adds the config-watcher sidecar' },
  { name: ANNOTATIONS.status, by: 'injector', values: 'JSON', meaning: 'what was added; its presence means "already injected"' },
  { name: ANNOTATIONS.proxyConfig, by: 'injector', values: 'YAML', meaning: "the proxy's config file, projected into the pod" },
  { name: ANNOTATIONS.caBundle, by: 'injector', values: 'PEM', meaning: "the mesh CA, which verifies the CA signer's certificate" },
  { name: ANNOTATIONS.logExporterConfig, by: 'injector', values: 'YAML', meaning: "the log exporter's config file, projected into the pod (with outrigger.io/log-export)" },
];

/** Pod annotations Prometheus' usual kubernetes_sd relabelling reads. */
export const PROMETHEUS = { scrape: 'prometheus.io/scrape', port: 'prometheus.io/port', path: 'prometheus.io/path', scheme: 'prometheus.io/scheme' } as const;

export const ENV = {
  podIp: 'OUTRIGGER_POD_IP',
  namespace: 'OUTRIGGER_NAMESPACE',
  serviceAccount: 'OUTRIGGER_SERVICE_ACCOUNT',
  /** JSON: `/app-health/<container>/<probe>` -> the app's original probe (see app-probes.ts). */
  appProbes: 'OUTRIGGER_APP_PROBES',
} as const;

export const CONTAINERS = {
  init: 'outrigger-init',
  proxy: 'outrigger-proxy',
  logExporter: 'outrigger-log-exporter',
  configWatcher: 'outrigger-config-watcher',
} as const;

export const VOLUMES = {
  config: 'outrigger-config',
  token: 'outrigger-token',
  log: 'outrigger-log',
  keys: 'outrigger-keys',
  xtables: 'outrigger-xtables',
  appConfig: 'outrigger-app-config',
  configSource: 'outrigger-config-source',
  logState: 'outrigger-log-state',
} as const;

export const PATHS = {
  configDir: '/etc/outrigger',
  proxyConfig: '/etc/outrigger/proxy.yaml',
  caBundle: '/etc/outrigger/ca.crt',
  logExporterConfig: '/etc/outrigger/log-exporter.yaml',
  /** The log exporter's positions and dead-letter files (its config defaults). */
  logState: '/var/lib/outrigger/log-exporter',
  /** The proxy's identity.tokenFile default: keep the two in step. */
  tokenDir: '/var/run/secrets/outrigger/serviceaccount',
  logDir: '/var/log/outrigger',
  accessLog: '/var/log/outrigger/access.log',
  keysDir: '/var/run/outrigger/identity',
  appConfig: '/var/run/outrigger/app-config',
  configSource: '/var/run/outrigger/config-source',
} as const;

/** Proxies of other meshes: a pod carrying one is left alone (two sidecars would fight over iptables). */
export const OTHER_MESH_CONTAINERS = ['istio-proxy', 'istio-init', 'istio-validation', 'linkerd-proxy', 'linkerd-init', 'linkerd-network-validator'];
export const OTHER_MESH_ANNOTATIONS = ['sidecar.istio.io/status', 'linkerd.io/proxy-version'];
