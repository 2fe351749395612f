// The log exporter's configuration file: keys, defaults and limits. Pure; parse-config.ts turns a
// failure into messages naming the key, and docs/reference/log-exporter.md documents every key.
import { z } from 'zod';
import { FACILITIES, LOKI_LABEL_NAME, SEVERITIES, sdNameProblem } from '@outrigger/logship';
import { parseByteSize, parseDuration } from './parse-units.ts';

const duration = (fallback: string, minMs = 0, maxMs = 24 * 3_600_000) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (use e.g. 500ms, 3s, 1m, 2h)` });
        return z.NEVER;
      }
      if (ms < minMs || ms > maxMs) {
        ctx.addIssue({ code: 'custom', message: `${value} is out of range (${minMs} ms to ${maxMs} ms)` });
        return z.NEVER;
      }
      return ms;
    });

const KiB = 1024;
const MiB = 1024 * KiB;
const size = (fallback: string, min: number, max: number) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      const bytes = parseByteSize(value);
      if (bytes === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a size (use e.g. 65536, 64KiB, 1MiB)` });
        return z.NEVER;
      }
      if (bytes < min || bytes > max) {
        ctx.addIssue({ code: 'custom', message: `${value} is out of range (${min} to ${max} bytes)` });
        return z.NEVER;
      }
      return bytes;
    });

const int = (fallback: number, min: number, max: number) => z.number().int().min(min).max(max).default(fallback);
const path = z.string().min(1);

/** `host:port` with a numeric port, e.g. `syslog.example:6514` or `[::1]:601`. */
const hostPort = z.string().transform((value, ctx) => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const portNumber = match ? Number(match[3]) : NaN;
  if (!match || portNumber < 1 || portNumber > 65535) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not host:port (e.g. 127.0.0.1:601)` });
    return z.NEVER;
  }
  return { host: (match[1] ?? match[2]) as string, port: portNumber };
});

const tls = z.strictObject({
  /** PEM bundle of the CAs that may sign the server's certificate (default: Node's bundled roots). */
  caFile: path.optional(),
  /** A client certificate and key, for servers that want mutual TLS. */
  certFile: path.optional(),
  keyFile: path.optional(),
  /** Name checked against the certificate and sent as SNI (default: the host). */
  serverName: z.string().min(1).optional(),
  insecureSkipVerify: z.boolean().default(false),
});

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name');
const http = {
  headers: z.record(headerName, z.string()).default({}),
  timeout: duration('10s', 100, 600_000),
  tls: tls.optional(),
};
const url = z.url({ protocol: /^https?$/ });

const sdElement = z
  .strictObject({ id: z.string(), params: z.record(z.string(), z.string()).default({}) })
  .superRefine((e, ctx) => {
    const idProblem = sdNameProblem(e.id, 'id');
    if (idProblem) ctx.addIssue({ code: 'custom', path: ['id'], message: idProblem });
    for (const name of Object.keys(e.params)) {
      const problem = sdNameProblem(name, 'param');
      if (problem) ctx.addIssue({ code: 'custom', path: ['params', name], message: problem });
    }
  });

const printable = (max: number) => z.string().regex(new RegExp(`^[\\x21-\\x7e]{1,${max}}$`), `1 to ${max} printable ASCII characters, no spaces`);

export const syslogSinkSchema = z.strictObject({
  kind: z.literal('syslog'),
  address: hostPort,
  tls: tls.optional(),
  facility: z.enum(Object.keys(FACILITIES) as [keyof typeof FACILITIES, ...Array<keyof typeof FACILITIES>]).default('local0'),
  severity: z.enum(Object.keys(SEVERITIES) as [keyof typeof SEVERITIES, ...Array<keyof typeof SEVERITIES>]).default('info'),
  hostname: printable(255).optional(),
  appName: printable(48).default('outrigger'),
  msgId: printable(32).default('access'),
  structuredData: z.array(sdElement).default([]),
  bom: z.boolean().default(true),
  connectTimeout: duration('5s', 100, 600_000),
  confirmTimeout: duration('30s', 100, 600_000),
  confirmBytes: size('1MiB', 4 * KiB, 256 * MiB),
  maxConnections: int(8, 1, 64),
});

export const lokiSinkSchema = z.strictObject({
  kind: z.literal('loki'),
  url,
  labels: z.record(z.string().regex(LOKI_LABEL_NAME, 'a Loki label name'), z.string().min(1)).default({ job: 'outrigger' }),
  labelFields: z.array(z.string().regex(LOKI_LABEL_NAME, 'a Loki label name')).default([]),
  /** Sent as X-Scope-OrgID (multi-tenant Loki). */
  tenant: z.string().min(1).optional(),
  ...http,
});

export const elasticsearchSinkSchema = z.strictObject({
  kind: z.literal('elasticsearch'),
  url,
  index: z.string().regex(/^[^A-Z\\/*?"<>| ,#:]{1,255}$/, 'an index or data stream name (lowercase, no \\ / * ? " < > | , # : or spaces)').default('outrigger-access'),
  action: z.enum(['create', 'index']).default('create'),
  timestampField: z.string().min(1).default('@timestamp'),
  ...http,
});

export const httpSinkSchema = z.strictObject({ kind: z.literal('http'), url, ...http });
export const stdoutSinkSchema = z.strictObject({ kind: z.literal('stdout') });

export const sinkSchema = z.discriminatedUnion('kind', [syslogSinkSchema, lokiSinkSchema, elasticsearchSinkSchema, httpSinkSchema, stdoutSinkSchema]);

export const exporterConfigSchema = z.strictObject({
  files: z
    .strictObject({
      paths: z.array(path).min(1).default(['/var/log/outrigger/access.log*']),
      exclude: z.array(z.string().min(1)).default(['*.gz', '*.bz2', '*.xz', '*.zst', '*.zip']),
      startAt: z.enum(['beginning', 'end']).default('beginning'),
      maxLineBytes: size('64KiB', 256, 16 * MiB),
      readBytes: size('256KiB', 4 * KiB, 16 * MiB),
      pollInterval: duration('250ms', 10, 60_000),
      rotateWait: duration('5s', 0, 3_600_000),
      maxOpenFiles: int(64, 2, 4096),
    })
    .prefault({}),
  positions: z
    .strictObject({
      file: path.default('/var/lib/outrigger/log-exporter/positions.json'),
      interval: duration('250ms', 10, 60_000),
    })
    .prefault({}),
  batch: z
    .strictObject({
      maxLines: int(1000, 1, 100_000),
      maxBytes: size('1MiB', KiB, 64 * MiB),
      maxWait: duration('1s', 0, 600_000),
      maxInFlight: int(16, 1, 256),
    })
    .prefault({}),
  retry: z
    .strictObject({
      initialDelay: duration('250ms', 1, 600_000),
      maxDelay: duration('30s', 1, 3_600_000),
      maxRetryAfter: duration('5m', 0, 86_400_000),
    })
    .prefault({}),
  deadLetter: z
    .strictObject({
      file: path.default('/var/lib/outrigger/log-exporter/dead-letter.ndjson'),
      maxBytes: size('64MiB', 64 * KiB, 64 * 1024 * MiB),
    })
    .prefault({}),
  sink: sinkSchema,
  admin: z.strictObject({ address: z.string().min(1).default('0.0.0.0'), port: z.number().int().min(0).max(65535).default(15021) }).prefault({}),
  shutdown: z.strictObject({ timeout: duration('5s', 0, 600_000) }).prefault({}),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).prefault({}),
});

export type ExporterConfig = z.output<typeof exporterConfigSchema>;
export type SinkConfig = ExporterConfig['sink'];
export type TlsConfig = z.output<typeof tls>;
