// The pod's CaptureSpec: netfilter's defaults (the proxy's ports, uid/gid 1337) plus the skip
// annotations. Its toArgs() become the init container's args, so the manifest shows every rule.
import { CAPTURE_FLAGS, defaultCaptureSpec, validateCaptureSpec, type CaptureSpec } from '@outrigger/netfilter';
import type { InjectConfig } from './inject-config.ts';
import { ANNOTATIONS } from './names.ts';
import type { PodSettings } from './pod-settings.ts';

// validateCaptureSpec names the init flag; the user wrote the annotation.
const FLAG_TO_ANNOTATION: Record<string, string> = {
  '--exclude-inbound-ports': ANNOTATIONS.skipInboundPorts,
  '--exclude-outbound-ports': ANNOTATIONS.skipOutboundPorts,
  '--exclude-outbound-cidrs': ANNOTATIONS.skipOutboundCidrs,
};

export function planPodCapture(settings: PodSettings, config: InjectConfig): { spec: CaptureSpec; problems: string[] } {
  const spec: CaptureSpec = {
    ...defaultCaptureSpec(),
    excludeInboundPorts: settings.skipInboundPorts,
    excludeOutboundPorts: settings.skipOutboundPorts,
    excludeOutboundCidrs: settings.skipOutboundCidrs,
    ipv6: config.ipv6,
  };
  const problems = validateCaptureSpec(spec).map((problem) => {
    const flag = CAPTURE_FLAGS.find((f) => problem.startsWith(`${f}:`));
    const annotation = flag === undefined ? undefined : FLAG_TO_ANNOTATION[flag];
    return annotation === undefined ? problem : `${annotation}${problem.slice(flag?.length)}`;
  });
  return { spec, problems };
}
