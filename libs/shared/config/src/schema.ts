// The proxy's configuration file: its schema and defaults (explicit-mode listeners, identity files,
// admin server, access log, timeouts). Pure; docs/reference/config.md documents every key.
import { z } from 'zod';
import { parseDuration } from './parse-duration.ts';

const duration = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (use e.g. 500ms, 3s, 1m, 2h)` });
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
});

/** Server-first protocols: the client waits for the server, so sniffing would only add delay. */
export const DEFAULT_OPAQUE_PORTS = [25, 587, 3306, 4444, 5432, 6379, 9300, 11211];

export const UPSTREAM_MODES = ['localhost', 'pod-ip'] as const;

const portKey = z.string().regex(/^\d{1,5}$/, 'a port number');

const transparent = z.strictObject({
  inbound: z
    .strictObject({
      address: host.default('0.0.0.0'),
      port: port.default(15006),
      upstream: z.enum(UPSTREAM_MODES).default('localhost'),
      podIp: z.string().min(1).optional(),
      ports: z.record(portKey, z.strictObject({ upstream: z.enum(UPSTREAM_MODES) })).default({}),
    })
    .default({ address: '0.0.0.0', port: 15006, upstream: 'localhost', ports: {} }),
  outbound: z
    .strictObject({ address: host.default('127.0.0.1'), port: port.default(15001) })
    .default({ address: '127.0.0.1', port: 15001 }),
  opaquePorts: z.array(port).default(DEFAULT_OPAQUE_PORTS),
});

const identity = z.strictObject({
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
  trustBundleFile: z.string().min(1).optional(),
});

export const proxyConfigSchema = z
  .strictObject({
    admin: z
      .strictObject({ address: host.default('0.0.0.0'), port: port.default(15020) })
      .default({ address: '0.0.0.0', port: 15020 }),
    identity: identity.optional(),
    listeners: z.array(listener).default([]),
    transparent: transparent.optional(),
    accessLog: z
      .strictObject({ stdout: z.boolean().default(true), file: z.string().min(1).optional() })
      .default({ stdout: true }),
    log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).default({ level: 'info' }),
    timeouts: z
      .strictObject({
        tlsHandshake: duration('10s'),
        detect: duration('3s'),
        upstreamConnect: duration('5s'),
        idle: duration('1h'),
        drain: duration('25s'),
      })
      .default({ tlsHandshake: 10_000, detect: 3_000, upstreamConnect: 5_000, idle: 3_600_000, drain: 25_000 }),
  })
  .superRefine((config, ctx) => {
    if (config.listeners.length === 0 && !config.transparent) {
      ctx.addIssue({ code: 'custom', path: ['listeners'], message: 'at least one listener is needed (or a transparent: section)' });
    }
    const inbound = config.transparent?.inbound;
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
      if (l.tls === 'mutual' && config.identity && !config.identity.trustBundleFile) {
        ctx.addIssue({ code: 'custom', path: ['identity', 'trustBundleFile'], message: `listener "${l.name}" uses tls: mutual, which needs identity.trustBundleFile to verify client certificates` });
      }
    });
  });

export type ProxyConfig = z.output<typeof proxyConfigSchema>;
export type ListenerConfig = ProxyConfig['listeners'][number];
export type TransparentConfig = NonNullable<ProxyConfig['transparent']>;
export type UpstreamMode = (typeof UPSTREAM_MODES)[number];
export type TlsMode = (typeof TLS_MODES)[number];
export type ListenerProtocol = (typeof PROTOCOLS)[number];
