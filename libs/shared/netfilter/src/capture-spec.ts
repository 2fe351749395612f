// What transparent capture redirects and what it leaves alone: the one input of every plan, and
// the init container's arguments. CAPTURE_FIELDS ties each field to its flag, so validation,
// toArgs and fromArgs speak of the same `--flag` a user typed or the injector wrote.
import { parseCidr } from './cidr.ts';

export interface CaptureSpec {
  /** The proxy's ports: inbound listener, outbound listener, admin server. Never redirected inbound. */
  inboundPort: number;
  outboundPort: number;
  adminPort: number;
  /** The proxy runs as this uid/gid; its own traffic is never captured (that would loop). */
  proxyUid: number;
  proxyGid: number;
  /** Empty: every inbound TCP port goes to the proxy. Else only these ("listed-port mode"). */
  inboundPorts: number[];
  excludeInboundPorts: number[];
  excludeOutboundPorts: number[];
  /** Empty or ['*']: every destination is captured. Else only these blocks. */
  includeOutboundCidrs: string[];
  excludeOutboundCidrs: string[];
  excludeInboundSourceCidrs: string[];
  /** Also install the rules with ip6tables (v6 blocks go there, v4 blocks to iptables). */
  ipv6: boolean;
}

type Keys<V> = { [K in keyof CaptureSpec]: CaptureSpec[K] extends V ? K : never }[keyof CaptureSpec];

export type CaptureField =
  | { kind: 'port' | 'id'; key: Keys<number>; flag: string }
  | { kind: 'ports'; key: Keys<number[]>; flag: string }
  | { kind: 'cidrs'; key: Keys<string[]>; flag: string }
  | { kind: 'bool'; key: Keys<boolean>; flag: string };

/** Every field, in the order toArgs writes them. */
export const CAPTURE_FIELDS: readonly CaptureField[] = [
  { kind: 'port', key: 'inboundPort', flag: '--inbound-port' },
  { kind: 'port', key: 'outboundPort', flag: '--outbound-port' },
  { kind: 'port', key: 'adminPort', flag: '--admin-port' },
  { kind: 'id', key: 'proxyUid', flag: '--proxy-uid' },
  { kind: 'id', key: 'proxyGid', flag: '--proxy-gid' },
  { kind: 'ports', key: 'inboundPorts', flag: '--inbound-ports' },
  { kind: 'ports', key: 'excludeInboundPorts', flag: '--exclude-inbound-ports' },
  { kind: 'ports', key: 'excludeOutboundPorts', flag: '--exclude-outbound-ports' },
  { kind: 'cidrs', key: 'includeOutboundCidrs', flag: '--include-outbound-cidrs' },
  { kind: 'cidrs', key: 'excludeOutboundCidrs', flag: '--exclude-outbound-cidrs' },
  { kind: 'cidrs', key: 'excludeInboundSourceCidrs', flag: '--exclude-inbound-source-cidrs' },
  { kind: 'bool', key: 'ipv6', flag: '--ipv6' },
];

export const CAPTURE_FLAGS: readonly string[] = CAPTURE_FIELDS.map((f) => f.flag);

// uid 0 is refused: exempting root's traffic would let any root process in the pod bypass capture.
const MAX_ID = 4294967294; // (uid_t)-1 means "no change" to the kernel, so it is never a real owner

export function defaultCaptureSpec(): CaptureSpec {
  return {
    inboundPort: 15006,
    outboundPort: 15001,
    adminPort: 15020,
    proxyUid: 1337,
    proxyGid: 1337,
    inboundPorts: [],
    excludeInboundPorts: [],
    excludeOutboundPorts: [],
    includeOutboundCidrs: [],
    excludeOutboundCidrs: [],
    excludeInboundSourceCidrs: [],
    ipv6: false,
  };
}

/** Every problem with the spec, each naming its flag; empty when the spec can be planned. */
export function validateCaptureSpec(spec: CaptureSpec): string[] {
  const problems: string[] = [];
  for (const field of CAPTURE_FIELDS) {
    if (field.kind === 'port' || field.kind === 'id') {
      const value = spec[field.key];
      const range = field.kind === 'port' ? { max: 65535, what: 'a port' } : { max: MAX_ID, what: 'a uid/gid' };
      if (!Number.isInteger(value) || value < 1 || value > range.max) problems.push(`${field.flag}: ${String(value)} is not ${range.what} (1-${range.max})`);
    } else if (field.kind === 'ports') {
      const ports = spec[field.key];
      for (const port of ports) {
        if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${field.flag}: ${String(port)} is not a port (1-65535)`);
      }
      problems.push(...duplicates(field.flag, ports));
    } else if (field.kind === 'cidrs') {
      problems.push(...cidrProblems(spec, field.key, field.flag));
    } else if (typeof spec[field.key] !== 'boolean') {
      problems.push(`${field.flag}: must be true or false`);
    }
  }
  const proxyPorts = [spec.inboundPort, spec.outboundPort, spec.adminPort];
  if (new Set(proxyPorts).size !== proxyPorts.length) {
    problems.push(`--inbound-port, --outbound-port and --admin-port must differ (got ${proxyPorts.join(', ')})`);
  }
  for (const port of spec.inboundPorts) {
    if (proxyPorts.includes(port)) problems.push(`--inbound-ports: ${port} is a proxy port, which is never redirected`);
    if (spec.excludeInboundPorts.includes(port)) problems.push(`--inbound-ports: ${port} is also in --exclude-inbound-ports`);
  }
  for (const cidr of spec.includeOutboundCidrs) {
    if (spec.excludeOutboundCidrs.includes(cidr)) problems.push(`--include-outbound-cidrs: ${cidr} is also in --exclude-outbound-cidrs`);
  }
  return problems;
}

function cidrProblems(spec: CaptureSpec, key: Keys<string[]>, flag: string): string[] {
  const cidrs = spec[key];
  if (key === 'includeOutboundCidrs' && cidrs.includes('*')) {
    return cidrs.length === 1 ? [] : [`${flag}: '*' (everything) cannot be combined with other blocks`];
  }
  const problems: string[] = [];
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (!parsed.ok) problems.push(`${flag}: ${parsed.problem}`);
    // Without --ipv6 an IPv6 block would be dropped without a word; say so instead.
    else if (parsed.family === 'v6' && !spec.ipv6) problems.push(`${flag}: ${cidr} is IPv6 but --ipv6 is false`);
  }
  return [...problems, ...duplicates(flag, cidrs)];
}

function duplicates(flag: string, values: ReadonlyArray<number | string>): string[] {
  const seen = new Set<number | string>();
  const repeated = new Set<number | string>();
  for (const value of values) (seen.has(value) ? repeated : seen).add(value);
  return [...repeated].map((value) => `${flag}: ${String(value)} is listed twice`);
}
