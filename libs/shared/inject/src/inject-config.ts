// What the injector itself is configured with (flags of `webhook` and `inject`), as opposed to what
// each pod asks for by annotation. One value for the whole mesh; defaults suit a fresh install.

export type SidecarMode = 'native' | 'legacy';

export interface ResourceDefaults {
  cpu: string;
  memory: string;
  cpuLimit: string | undefined;
  memoryLimit: string | undefined;
}

export interface InjectConfig {
  /** The one image holding every Outrigger app (deploy/Dockerfile). */
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never' | undefined;
  /** native: an init container with restartPolicy Always (Kubernetes 1.29+); legacy: the first container. */
  sidecar: SidecarMode;
  /** The mesh's proxy config (the mesh ConfigMap's proxy.yaml, parsed); each pod's config starts from it. */
  meshConfig: Record<string, unknown>;
  /** PEM of the mesh CA: verifies the CA signer's serving certificate. */
  caBundlePem: string;
  /** Install the capture rules for IPv6 too (dual-stack clusters). */
  ipv6: boolean;
  /** Never injected, whatever their labels say. */
  skipNamespaces: readonly string[];
  proxyResources: ResourceDefaults;
  /** Recorded in outrigger.io/status, so a pod says which injector made it. */
  version: string;
}

export const DEFAULT_IMAGE = 'ghcr.io/outrigger/outrigger:0.1.0';

// kube-system and friends run the cluster; outrigger-system runs the CA signer the proxy needs,
// which must never wait on itself.
export const DEFAULT_SKIP_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease', 'outrigger-system'];

export function defaultInjectConfig(caBundlePem: string): InjectConfig {
  return {
    image: DEFAULT_IMAGE,
    imagePullPolicy: undefined,
    sidecar: 'native',
    meshConfig: defaultMeshConfig(),
    caBundlePem,
    ipv6: false,
    skipNamespaces: DEFAULT_SKIP_NAMESPACES,
    // No CPU limit by default: CFS throttling of a proxy adds latency to every request it carries.
    proxyResources: { cpu: '100m', memory: '64Mi', cpuLimit: undefined, memoryLimit: '256Mi' },
    version: '0.1.0',
  };
}

/** The mesh ConfigMap's proxy.yaml as `manifests` installs it into `namespace` for the CA of `trustDomain`. */
export function defaultMeshConfig(install: { namespace?: string; trustDomain?: string } = {}): Record<string, unknown> {
  return {
    identity: { source: 'ca', caAddress: `https://outrigger-ca.${install.namespace ?? 'outrigger-system'}.svc:15012` },
    mesh: { trustDomain: install.trustDomain ?? 'cluster.local', networks: [] },
    transparent: { inbound: { address: '0.0.0.0' }, outbound: { address: '127.0.0.1' } },
    accessLog: { stdout: true },
  };
}
