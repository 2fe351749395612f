// An explicit-mode listener, read top to bottom as its stages run:
// accept -> terminateTls -> detectProtocol -> route -> forwardHttp | forwardTcp.
import { createServer, type Server, type Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { ListenerConfig, ProxyConfig } from '@outrigger/config';
import { classifyError } from '@outrigger/telemetry';
import type { Observer } from './observe.ts';
import { accept } from './stages/accept.ts';
import { createTlsTerminator } from './stages/terminate-tls.ts';
import { detectProtocol } from './stages/detect-protocol.ts';
import { createHttpForwarder } from './stages/forward-http.ts';
import { forwardTcp } from './stages/forward-tcp.ts';

export interface ListenerDeps {
  config: ListenerConfig;
  timeouts: ProxyConfig['timeouts'];
  /** The identity's TLS options; required when the listener terminates TLS. */
  tlsOptions: SecureContextOptions | null;
  observer: Observer;
  now: () => number;
}

export interface RunningListener {
  name: string;
  address: string;
  port: number;
  /** Stop accepting; connections in flight carry on. */
  stopAccepting(): Promise<void>;
  /** Connections currently open. */
  connections(): number;
  destroyAll(): void;
}

export async function startListener(deps: ListenerDeps): Promise<RunningListener> {
  const { config, timeouts, observer, now } = deps;
  if (config.tls !== 'none' && !deps.tlsOptions) throw new Error(`listener ${config.name}: tls: ${config.tls} needs an identity`);
  const terminateTls =
    config.tls === 'none' || !deps.tlsOptions
      ? null
      : createTlsTerminator({ mode: config.tls, contextOptions: deps.tlsOptions, handshakeTimeoutMs: timeouts.tlsHandshake, alpnHttp1: config.protocol !== 'tcp' });
  const http = config.protocol === 'tcp' ? null : createHttpForwarder({
    host: config.upstream.host,
    port: config.upstream.port,
    connectTimeoutMs: timeouts.upstreamConnect,
    idleTimeoutMs: timeouts.idle,
    now,
    onRequestEnd: (request) => observer.requestEnded(request),
  });
  const open = new Set<Socket>();
  let boundPort = config.port;

  async function handle(raw: Socket): Promise<void> {
    const record = accept(raw, { direction: 'inbound', listener: config.name, port: boundPort, idleTimeoutMs: timeouts.idle, now });
    open.add(raw);
    // Bytes are counted on the socket the app's bytes travel on: after TLS decryption.
    let client: Socket | null = terminateTls ? null : raw;
    raw.once('close', () => {
      open.delete(raw);
      record.bytesReceived = client?.bytesRead ?? 0;
      record.bytesSent = client?.bytesWritten ?? 0;
      observer.connectionClosed(record);
    });
    try {
      const socket = terminateTls ? (client = await terminateTls(raw, record)) : raw;
      const detection =
        config.protocol === 'detect'
          ? await detectProtocol(socket, record, timeouts.detect)
          : { protocol: config.protocol === 'http' ? ('http1' as const) : ('opaque' as const), leftover: null };
      if (detection.protocol === 'closed') return;
      if (detection.protocol === 'http1' && http) {
        http.serve(socket, record);
        observer.connectionRouted(record);
        return;
      }
      observer.connectionRouted(record);
      await forwardTcp(socket, record, { ...config.upstream, connectTimeoutMs: timeouts.upstreamConnect, idleTimeoutMs: timeouts.idle }, detection.leftover);
    } catch (err) {
      record.error ??= classifyError(err, 'downstream');
      raw.destroy();
    }
  }

  const server: Server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: false }, (raw) => void handle(raw));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: config.address, port: config.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address && typeof address === 'object') boundPort = address.port;
  server.on('error', () => {}); // accept errors (EMFILE) must not crash the process

  return {
    name: config.name,
    address: config.address,
    port: boundPort,
    stopAccepting: () => new Promise<void>((resolve) => server.close(() => resolve())),
    connections: () => open.size,
    destroyAll() {
      for (const socket of open) socket.destroy();
      http?.close();
    },
  };
}
