// The proxy's configuration file: its schema and defaults (explicit-mode listeners, identity files,
// admin server, access log, timeouts). Pure; docs/reference/config.md documents every key.
import { parseCidr } from '@outrigger/netfilter';
import { z } from 'zod';
import { parseDuration } from './parse-duration.ts';

/** X25519 first, P-256 for peers without it: Istio's default, and what nginx with OpenSSL 3.0 offers. */
export const DEFAULT_TLS_GROUPS = ['X25519', 'P-256'] as const;

const duration = (fallback: string) =>
  z
    .union([z.string(), z.number()], { error: 'a duration: text such as 500ms, 3s, 1m, 2h, or a number of milliseconds' })
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (use e.g. 500ms, 3s, 1m, 2h)` });
        return z.NEVER;
      }
      // 0 is no "off" switch here: a 0 s response timeout answered every request 504 at once.
      if (ms === 0) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)}: a duration must be above 0` });
        return z.NEVER;
      }
      return ms;
    });

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

/** `host:port` with a numeric port, e.g. `127.0.0.1:8080` or `[::1]:8080`. */
const hostPort = z.string().transform((value, ctx) => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const portNumber = match ? Number(match[3]) : NaN;
  if (!match || portNumber < 1 || portNumber > 65535) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not host:port (e.g. 127.0.0.1:8080)` });
    return z.NEVER;
  }
  return { host: (match[1] ?? match[2]) as string, port: portNumber };
});

export const TLS_MODES = ['server', 'mutual', 'none'] as const;
export const PROTOCOLS = ['detect', 'http', 'tcp'] as const;

const listener = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a lowercase name of letters, digits and dashes'),
  address: host.default('0.0.0.0'),
  port,
  tls: z.enum(TLS_MODES).default('mutual'),
  upstream: hostPort,
  protocol: z.enum(PROTOCOLS).default('detect'),
  /** `mesh`: reach the upstream (a peer's sidecar) with mesh mTLS, as the outbound listener does. */
  upstreamTls: z.enum(['none', 'mesh']).default('none'),
});

/** Server-first protocols: the client waits for the server, so sniffing would only add delay. */
export const DEFAULT_OPAQUE_PORTS = [25, 587, 3306, 4444, 5432, 6379, 9300, 11211];

export const UPSTREAM_MODES = ['localhost', 'pod-ip'] as const;

const portKey = z.string().regex(/^\d{1,5}$/, 'a port number');

export const INBOUND_MODES = ['permissive', 'strict'] as const;

/** `spiffe://td/ns/x/sa/y`, `ns/x/sa/y`, `ns/x/*` (any SA of a namespace) or `*` (any mesh peer). */
const allowPattern = z
  .string()
  .regex(/^(\*|ns\/[a-z0-9-]+\/\*|ns\/[a-z0-9-]+\/sa\/[a-z0-9.-]+|spiffe:\/\/[a-z0-9._-]+\/ns\/[a-z0-9-]+\/sa\/[a-z0-9.-]+)$/, 'an identity pattern: spiffe://<td>/ns/<ns>/sa/<sa>, ns/<ns>/sa/<sa>, ns/<ns>/* or *');

const inboundPort = z.strictObject({
  upstream: z.enum(UPSTREAM_MODES).optional(),
  mode: z.enum(INBOUND_MODES).optional(),
  allow: z.array(allowPattern).optional(),
  /** Terminate non-mesh TLS on this port with the workload certificate (edge TLS for HTTPS clients). */
  edgeTls: z.boolean().optional(),
});

const transparent = z.strictObject({
  inbound: z
    .strictObject({
      address: host.default('0.0.0.0'),
      port: port.default(15006),
      upstream: z.enum(UPSTREAM_MODES).default('localhost'),
      podIp: z.string().min(1).optional(),
      mode: z.enum(INBOUND_MODES).default('permissive'),
      allow: z.array(allowPattern).optional(),
      ports: z.record(portKey, inboundPort).default({}),
    })
    .default({ address: '0.0.0.0', port: 15006, upstream: 'localhost', mode: 'permissive', ports: {} }),
  outbound: z
    .strictObject({ address: host.default('127.0.0.1'), port: port.default(15001) })
    .default({ address: '127.0.0.1', port: 15001 }),
  opaquePorts: z.array(port).default(DEFAULT_OPAQUE_PORTS),
});

// The capture rules' own parser: a real address, a prefix the family allows, no host bits set
// (10.0.0.1/8 is a typo iptables would silently mask; here it would be a network nobody meant).
const cidr = z.string().superRefine((text, ctx) => {
  const parsed = parseCidr(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `${parsed.problem}: a CIDR such as 10.0.0.0/8 or fd00::/8` });
});
const spiffeId = z.string().regex(/^spiffe:\/\/[a-z0-9._-]+\/ns\/[a-z0-9-]+\/sa\/[a-z0-9.-]+$/, 'a SPIFFE ID spiffe://<td>/ns/<ns>/sa/<sa>');

const mesh = z.strictObject({
  trustDomain: z.string().regex(/^[a-z0-9._-]+$/, 'a trust domain: lowercase letters, digits, dots, dashes, underscores').default('cluster.local'),
  /** Destinations inside these get mTLS from the outbound listener; everything else passes as is. */
  networks: z.array(cidr).default([]),
  /** The exact identity a destination (`ip` or `ip:port`) must present, instead of any of the trust domain. */
  peerIdentities: z.record(z.string(), spiffeId).default({}),
});

const filesIdentity = z.strictObject({
  source: z.literal('files'),
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
  trustBundleFile: z.string().min(1).optional(),
});

const k8sName = z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'a Kubernetes name');

/** The CA signer of outrigger-injector: key in memory, CSR with the projected ServiceAccount token. */
const caIdentity = z.strictObject({
  source: z.literal('ca'),
  caAddress: z.url({ protocol: /^https$/, error: 'an https:// URL of the CA signer' }).default('https://outrigger-ca.outrigger-system.svc:15012'),
  tokenFile: z.string().min(1).default('/var/run/secrets/outrigger/serviceaccount/token'),
  caBundleFile: z.string().min(1).default('/var/run/outrigger/ca/ca.crt'),
  namespace: k8sName.optional(),
  serviceAccount: k8sName.optional(),
});

// By `source` (files when absent), so a problem is reported against the one meant: "keyFile:
// required key is missing", not the union's bare "Invalid input".
const identity = z.preprocess(
  (value) => (typeof value === 'object' && value !== null && !Array.isArray(value) && !('source' in value) ? { ...value, source: 'files' } : value),
  z.discriminatedUnion('source', [caIdentity, filesIdentity]),
);

export const proxyConfigSchema = z
  .strictObject({
    admin: z
      .strictObject({ address: host.default('0.0.0.0'), port: port.default(15020) })
      .default({ address: '0.0.0.0', port: 15020 }),
    identity: identity.optional(),
    listeners: z.array(listener).default([]),
    transparent: transparent.optional(),
    mesh: mesh.default({ trustDomain: 'cluster.local', networks: [], peerIdentities: {} }),
    accessLog: z
      .strictObject({
        stdout: z.boolean().default(true),
        file: z.string().min(1).optional(),
        maxFileBytes: z.number().int().min(4096).default(100 * 1024 * 1024),
        maxFiles: z.number().int().min(1).max(100).default(5),
      })
      .default({ stdout: true, maxFileBytes: 100 * 1024 * 1024, maxFiles: 5 }),
    metrics: z
      .strictObject({
        idleSeriesExpiry: duration('10m'),
        /** The app's own metrics, served on the proxy's /metrics too (prometheus.io/* of the pod). */
        app: z.strictObject({ url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL of the app\'s metrics' }), timeout: duration('2s') }).optional(),
      })
      .default({ idleSeriesExpiry: 600_000 }),
    log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).default({ level: 'info' }),
    tls: z
      .strictObject({
        /**
         * Key exchange groups offered and accepted in every TLS handshake (OpenSSL names). Classic
         * by default: node 24's OpenSSL also offers the post-quantum hybrid X25519MLKEM768 unless told
         * otherwise, which costs ~0.3 ms more CPU per handshake (docs/reference/config.md). Whether
         * OpenSSL knows the names is checked by the proxy (tls-groups.ts): this module does no I/O.
         */
        groups: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'a TLS group name such as X25519, P-256 or X25519MLKEM768')).min(1).default([...DEFAULT_TLS_GROUPS]),
      })
      .default({ groups: [...DEFAULT_TLS_GROUPS] }),
    timeouts: z
      .strictObject({
        tlsHandshake: duration('10s'),
        detect: duration('3s'),
        upstreamConnect: duration('5s'),
        idle: duration('1h'),
        drain: duration('25s'),
        identityPoll: duration('30s'),
        upstreamResponse: duration('60s'),
        requestHeaders: duration('10s'),
      })
      .default({ tlsHandshake: 10_000, detect: 3_000, upstreamConnect: 5_000, idle: 3_600_000, drain: 25_000, identityPoll: 30_000, upstreamResponse: 60_000, requestHeaders: 10_000 }),
    limits: z
      .strictObject({
        maxRequestHeaderBytes: z.number().int().min(1024).max(1024 * 1024).default(16 * 1024),
        maxConnectionsPerListener: z.number().int().min(1).default(20_000),
      })
      .default({ maxRequestHeaderBytes: 16 * 1024, maxConnectionsPerListener: 20_000 }),
  })
  .superRefine((config, ctx) => {
    if (config.listeners.length === 0 && !config.transparent) {
      ctx.addIssue({ code: 'custom', path: ['listeners'], message: 'at least one listener is needed (or a transparent: section)' });
    }
    const inbound = config.transparent?.inbound;
    if (config.mesh.networks.length > 0 && !config.identity) {
      ctx.addIssue({ code: 'custom', path: ['mesh', 'networks'], message: 'mesh mTLS needs an identity (identity.certFile, identity.keyFile, identity.trustBundleFile)' });
    }
    if (inbound && !inbound.podIp && (inbound.upstream === 'pod-ip' || Object.values(inbound.ports).some((p) => p.upstream === 'pod-ip'))) {
      ctx.addIssue({ code: 'custom', path: ['transparent', 'inbound', 'podIp'], message: 'upstream pod-ip needs the pod IP (transparent.inbound.podIp, or the OUTRIGGER_POD_IP environment variable)' });
    }
    const names = new Set<string>();
    config.listeners.forEach((l, i) => {
      if (names.has(l.name)) ctx.addIssue({ code: 'custom', path: ['listeners', i, 'name'], message: `duplicate listener name "${l.name}"` });
      names.add(l.name);
      if (l.tls !== 'none' && !config.identity) {
        ctx.addIssue({ code: 'custom', path: ['listeners', i, 'tls'], message: `tls: ${l.tls} needs an identity (identity.certFile and identity.keyFile)` });
      }
      if (l.upstreamTls === 'mesh' && !config.identity) {
        ctx.addIssue({ code: 'custom', path: ['listeners', i, 'upstreamTls'], message: 'upstreamTls: mesh needs an identity' });
      }
      if (config.identity?.source === 'ca' && (!config.identity.namespace || !config.identity.serviceAccount)) {
        ctx.addIssue({ code: 'custom', path: ['identity'], message: 'identity source ca needs namespace and serviceAccount (or OUTRIGGER_NAMESPACE and OUTRIGGER_SERVICE_ACCOUNT)' });
      }
      if (l.tls === 'mutual' && config.identity?.source === 'files' && !config.identity.trustBundleFile) {
        ctx.addIssue({ code: 'custom', path: ['identity', 'trustBundleFile'], message: `listener "${l.name}" uses tls: mutual, which needs identity.trustBundleFile to verify client certificates` });
      }
    });
  });

export type ProxyConfig = z.output<typeof proxyConfigSchema>;
export type ListenerConfig = ProxyConfig['listeners'][number];
export type TransparentConfig = NonNullable<ProxyConfig['transparent']>;
export type UpstreamMode = (typeof UPSTREAM_MODES)[number];
export type InboundMode = (typeof INBOUND_MODES)[number];
export type MeshConfig = ProxyConfig['mesh'];
export type IdentityConfig = NonNullable<ProxyConfig['identity']>;
export type FilesIdentityConfig = Extract<IdentityConfig, { source: 'files' }>;
export type CaIdentityConfig = Extract<IdentityConfig, { source: 'ca' }>;
export type TlsMode = (typeof TLS_MODES)[number];
export type ListenerProtocol = (typeof PROTOCOLS)[number];
