// The configured sink, built from the validated config: the only place that knows every kind.
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { ElasticsearchSink, HttpNdjsonSink, LokiSink, StdoutSink, SyslogSink, type HttpTarget, type Sink } from '@outrigger/logship';
import type { ConnectionOptions } from 'node:tls';
import type { ExporterConfig } from './config-schema.ts';

/** In a pod the downward API sets it; the syslog HOSTNAME then names the pod rather than the container's hostname. */
export const POD_NAME_ENV = 'OUTRIGGER_POD_NAME';

export function buildSink(config: ExporterConfig, tls: ConnectionOptions | undefined, env: NodeJS.ProcessEnv = process.env): Sink {
  const sink = config.sink;
  const maxSockets = config.batch.maxInFlight;
  const target = (url: string, headers: Record<string, string>, timeoutMs: number): HttpTarget => ({ url: new URL(url), headers, timeoutMs, maxSockets, ...(tls ? { tls } : {}) });
  switch (sink.kind) {
    case 'syslog':
      return new SyslogSink({
        host: sink.address.host,
        port: sink.address.port,
        // SNI is for names only (RFC 6066 section 3); node warns when given an IP address.
        ...(tls ? { tls: isIP(sink.address.host) ? tls : { servername: sink.address.host, ...tls } } : {}),
        format: {
          facility: sink.facility, severity: sink.severity, hostname: sink.hostname ?? env[POD_NAME_ENV] ?? hostname(),
          appName: sink.appName, procId: String(process.pid), msgId: sink.msgId, structuredData: sink.structuredData, bom: sink.bom,
        },
        connectTimeoutMs: sink.connectTimeout,
        confirmTimeoutMs: sink.confirmTimeout,
        confirmBytes: sink.confirmBytes,
        maxConnections: sink.maxConnections,
      });
    case 'loki':
      return new LokiSink(target(sink.url, { ...sink.headers, ...(sink.tenant ? { 'x-scope-orgid': sink.tenant } : {}) }, sink.timeout), { labels: sink.labels, labelFields: sink.labelFields });
    case 'elasticsearch':
      return new ElasticsearchSink(target(sink.url, sink.headers, sink.timeout), { index: sink.index, action: sink.action, timestampField: sink.timestampField });
    case 'http':
      return new HttpNdjsonSink(target(sink.url, sink.headers, sink.timeout));
    case 'stdout':
      return new StdoutSink();
  }
}
