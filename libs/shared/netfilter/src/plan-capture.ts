// The capture rules as data: Linkerd's two-chain layout (linkerd2-proxy-init) with Istio's CIDR
// options (istio-iptables), per DESIGN section 3. Each rule's args are in the order iptables-save
// prints them, so what we render and what the kernel reports back read the same.
import type { CaptureSpec } from './capture-spec.ts';
import { parseCidr, type Family } from './cidr.ts';

export const INBOUND_CHAIN = 'OUTRIGGER_INBOUND';
export const OUTPUT_CHAIN = 'OUTRIGGER_OUTPUT';

export interface Rule {
  table: 'nat';
  chain: string;
  /** Matches then the target (`-j ...`); the comment match is not in here, renderers add it. */
  args: string[];
  /** `outrigger/<what>`: says which option put the rule there. */
  comment: string;
}

export interface FamilyRules {
  v4: Rule[];
  v6: Rule[];
}

/** The rules of our two chains, per family; v6 is empty unless spec.ipv6. */
export function planCapture(spec: CaptureSpec): FamilyRules {
  return {
    v4: [...planInbound(spec, 'v4'), ...planOutbound(spec, 'v4')],
    v6: spec.ipv6 ? [...planInbound(spec, 'v6'), ...planOutbound(spec, 'v6')] : [],
  };
}

/**
 * The jumps into our chains. They live in the built-in chains, which are not ours to flush, so
 * they are added with -C/-A, never by the restore text. Only TCP is sent: REDIRECT is all we do.
 * (Linkerd jumps for every protocol; only TCP could match its chains' REDIRECTs anyway.)
 */
export function planJumps(spec: CaptureSpec): FamilyRules {
  const jumps: Rule[] = [
    rule('PREROUTING', ['-p', 'tcp', '-j', INBOUND_CHAIN], 'inbound-jump'),
    rule('OUTPUT', ['-p', 'tcp', '-j', OUTPUT_CHAIN], 'outbound-jump'),
  ];
  return { v4: jumps, v6: spec.ipv6 ? jumps.map((j) => ({ ...j, args: [...j.args] })) : [] };
}

function planInbound(spec: CaptureSpec, family: Family): Rule[] {
  const rules: Rule[] = [];
  // The proxy's own ports first, whatever the user excluded: a connection to 15006 redirected to
  // 15006 works, but one to the admin port redirected to the inbound listener would not.
  // (Linkerd leaves this to the injector, which adds its ports to the skip list; we make it a rule.)
  const proxyPorts = [spec.outboundPort, spec.inboundPort, spec.adminPort];
  for (const port of proxyPorts) rules.push(rule(INBOUND_CHAIN, [...dport(port), '-j', 'RETURN'], `inbound-skip-proxy-port-${port}`));
  for (const port of spec.excludeInboundPorts) {
    if (!proxyPorts.includes(port)) rules.push(rule(INBOUND_CHAIN, [...dport(port), '-j', 'RETURN'], `inbound-skip-port-${port}`));
  }
  for (const cidr of ofFamily(spec.excludeInboundSourceCidrs, family)) {
    rules.push(rule(INBOUND_CHAIN, ['-s', cidr, '-j', 'RETURN'], `inbound-skip-source-${cidr}`));
  }
  const redirect = ['-j', 'REDIRECT', '--to-ports', String(spec.inboundPort)];
  if (spec.inboundPorts.length === 0) rules.push(rule(INBOUND_CHAIN, ['-p', 'tcp', ...redirect], 'inbound-redirect'));
  for (const port of spec.inboundPorts) rules.push(rule(INBOUND_CHAIN, [...dport(port), ...redirect], `inbound-redirect-port-${port}`));
  return rules;
}

function planOutbound(spec: CaptureSpec, family: Family): Rule[] {
  const rules: Rule[] = [
    // The proxy's own connections leave untouched, or every upstream connection would loop back
    // into it. Both uid and gid, as Linkerd does: a proxy image may set only one of them.
    rule(OUTPUT_CHAIN, ['-m', 'owner', '--uid-owner', String(spec.proxyUid), '-j', 'RETURN'], 'outbound-skip-proxy-uid'),
    rule(OUTPUT_CHAIN, ['-m', 'owner', '--gid-owner', String(spec.proxyGid), '-j', 'RETURN'], 'outbound-skip-proxy-gid'),
    // Everything routed over lo stays in the pod: localhost, and the pod's own IP (the kernel
    // routes that over lo too). So an app calling its own pod IP reaches itself directly, with
    // neither proxy in between; and when the outbound proxy picks this very pod as an endpoint of
    // a Service, its connection (uid RETURN above) reaches the app's port in plain text, so the
    // proxy must not start mTLS to its own pod IP (Linkerd's choice, linkerd2-proxy#2407). Istio
    // instead sends the proxy's lo traffic to its inbound listener (`-o lo ! -d 127.0.0.1/32
    // --uid-owner 1337 -j ISTIO_IN_REDIRECT`); we keep the uid rule first so that no rule can ever
    // send the proxy's own traffic back to it.
    rule(OUTPUT_CHAIN, ['-o', 'lo', '-j', 'RETURN'], 'outbound-skip-loopback'),
  ];
  for (const port of spec.excludeOutboundPorts) rules.push(rule(OUTPUT_CHAIN, [...dport(port), '-j', 'RETURN'], `outbound-skip-port-${port}`));
  for (const cidr of ofFamily(spec.excludeOutboundCidrs, family)) {
    rules.push(rule(OUTPUT_CHAIN, ['-d', cidr, '-j', 'RETURN'], `outbound-skip-dest-${cidr}`));
  }
  const redirect = ['-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(spec.outboundPort)];
  const include = spec.includeOutboundCidrs;
  if (include.length === 0 || include.includes('*')) {
    rules.push(rule(OUTPUT_CHAIN, redirect, 'outbound-redirect'));
  } else {
    // Only the listed blocks; the rest falls off the chain's end, an implicit RETURN. A family
    // with no listed block captures no outbound traffic at all, as Istio does with a v4-only list.
    for (const cidr of ofFamily(include, family)) rules.push(rule(OUTPUT_CHAIN, ['-d', cidr, ...redirect], `outbound-redirect-${cidr}`));
  }
  return rules;
}

function rule(chain: string, args: string[], what: string): Rule {
  return { table: 'nat', chain, args, comment: `outrigger/${what}` };
}

// One rule per port rather than Linkerd's multiport groups of 15: a comment can then name the
// port, and iptables-save shows exactly which option each line comes from.
function dport(port: number): string[] {
  return ['-p', 'tcp', '-m', 'tcp', '--dport', String(port)];
}

function ofFamily(cidrs: readonly string[], family: Family): string[] {
  return cidrs.filter((cidr) => {
    const parsed = parseCidr(cidr);
    return parsed.ok && parsed.family === family;
  });
}
