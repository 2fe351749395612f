// The flags that shape injection, shared by `webhook` and `inject`, and the InjectConfig they make:
// the image, native or legacy sidecar, IPv6 capture, and the mesh config every pod's proxy config
// starts from (read and checked by mesh-config.ts).
import { defaultInjectConfig, DEFAULT_SKIP_NAMESPACES, type InjectConfig, type SidecarMode } from '@outrigger/inject';
import { CliError } from './cli-error.ts';

export const INJECT_FLAGS = {
  'mesh-config': { type: 'string' },
  image: { type: 'string' },
  'image-pull-policy': { type: 'string' },
  sidecar: { type: 'string' },
  ipv6: { type: 'boolean' },
} as const;

export interface InjectFlagValues {
  'mesh-config'?: string;
  image?: string;
  'image-pull-policy'?: string;
  sidecar?: string;
  ipv6?: boolean;
}

export interface InjectSettings {
  meshConfigFile: string | undefined;
  image: string | undefined;
  imagePullPolicy: InjectConfig['imagePullPolicy'];
  sidecar: SidecarMode;
  ipv6: boolean;
}

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
// An image reference as the container runtime takes it: [registry/]path[:tag][@digest].
const IMAGE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/i;

export function readInjectSettings(command: string, flags: InjectFlagValues): InjectSettings {
  const invalid = (message: string): never => {
    throw new CliError('invalid-flag', `${command}: ${message}`);
  };
  const sidecar = flags.sidecar ?? 'native';
  if (sidecar !== 'native' && sidecar !== 'legacy') invalid(`--sidecar must be native or legacy (got ${JSON.stringify(sidecar)})`);
  const policy = flags['image-pull-policy'];
  if (policy !== undefined && !(PULL_POLICIES as readonly string[]).includes(policy)) invalid(`--image-pull-policy must be one of ${PULL_POLICIES.join(', ')} (got ${JSON.stringify(policy)})`);
  if (flags.image !== undefined && !IMAGE.test(flags.image)) invalid(`--image ${JSON.stringify(flags.image)} is not an image reference like ghcr.io/outrigger/outrigger:0.1.0`);
  return {
    meshConfigFile: flags['mesh-config'],
    image: flags.image,
    imagePullPolicy: policy as InjectConfig['imagePullPolicy'],
    sidecar: sidecar as SidecarMode,
    ipv6: flags.ipv6 ?? false,
  };
}

/** The InjectConfig from the settings, the mesh config read from its file, and the CA bundle. */
export function toInjectConfig(settings: InjectSettings, meshConfig: Record<string, unknown> | undefined, caBundlePem: string, ownNamespace = 'outrigger-system'): InjectConfig {
  // node-forge writes PEM with CRLF; in an annotation that would become an escaped string.
  const base = defaultInjectConfig(caBundlePem.replaceAll('\r\n', '\n'));
  return {
    ...base,
    image: settings.image ?? base.image,
    imagePullPolicy: settings.imagePullPolicy,
    sidecar: settings.sidecar,
    ipv6: settings.ipv6,
    meshConfig: meshConfig ?? base.meshConfig,
    // The injector's own namespace is never injected: its pods run the CA signer every proxy waits for.
    skipNamespaces: [...new Set([...DEFAULT_SKIP_NAMESPACES, ownNamespace])],
  };
}
