// A listener, read top to bottom as its stages run:
// accept -> resolveOrigDst -> rejectLoops -> terminateTls -> detectProtocol -> route -> forwardHttp | forwardTcp.
// Explicit listeners skip the original-destination stages; plans.ts says what each listener does.
import { createServer, type Server, type Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { ProxyConfig } from '@outrigger/config';
import type { OrigDstResolver, SocketAddress } from '@outrigger/original-dst';
import { classifyError } from '@outrigger/telemetry';
import type { Observer } from './observe.ts';
import type { Direction } from './record.ts';
import { accept } from './stages/accept.ts';
import { resolveOrigDst, type LoopGuard } from './stages/resolve-orig-dst.ts';
import { createTlsTerminator } from './stages/terminate-tls.ts';
import { detectProtocol } from './stages/detect-protocol.ts';
import { createHttpForwarder, type HttpForwarder } from './stages/forward-http.ts';
import { forwardTcp } from './stages/forward-tcp.ts';
import { listen } from './listen.ts';

export interface Upstream {
  host: string;
  port: number;
}

export interface ListenerPlan {
  name: string;
  direction: Direction;
  address: string;
  port: number;
  tls: { mode: 'server' | 'mutual'; contextOptions: SecureContextOptions } | null;
  /** Transparent listeners: where to learn the original destination, and which ports are ours. */
  origDst: { resolver: OrigDstResolver; guard: LoopGuard } | null;
  /** `detect` sniffs the first bytes; `tcp` never does (server-first protocols); `http` trusts. */
  protocolFor(port: number): 'detect' | 'http' | 'tcp';
  /** Where to forward: a fixed app port (explicit), or derived from the original destination. */
  upstreamFor(dst: SocketAddress | null): Upstream;
}

export interface RunningListener {
  name: string;
  address: string;
  port: number;
  /** Stop accepting; connections in flight carry on. */
  stopAccepting(): Promise<void>;
  connections(): number;
  destroyAll(): void;
}

export async function startListener(plan: ListenerPlan, timeouts: ProxyConfig['timeouts'], observer: Observer, now: () => number): Promise<RunningListener> {
  const terminateTls = plan.tls
    ? createTlsTerminator({ mode: plan.tls.mode, contextOptions: plan.tls.contextOptions, handshakeTimeoutMs: timeouts.tlsHandshake, alpnHttp1: true })
    : null;
  const forwarders = new Map<string, HttpForwarder>();
  const httpTo = (upstream: Upstream): HttpForwarder => {
    const key = `${upstream.host}|${upstream.port}`;
    let forwarder = forwarders.get(key);
    if (!forwarder) {
      forwarder = createHttpForwarder({
        ...upstream,
        connectTimeoutMs: timeouts.upstreamConnect,
        idleTimeoutMs: timeouts.idle,
        forwardedHeaders: plan.direction === 'inbound',
        now,
        onRequestEnd: (request) => observer.requestEnded(request),
      });
      forwarders.set(key, forwarder);
    }
    return forwarder;
  };
  const open = new Set<Socket>();
  let boundPort = plan.port;

  async function handle(raw: Socket): Promise<void> {
    const record = accept(raw, { direction: plan.direction, listener: plan.name, port: boundPort, idleTimeoutMs: timeouts.idle, now });
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
      let dst: SocketAddress | null = null;
      if (plan.origDst) {
        const resolved = resolveOrigDst(raw, record, plan.origDst.resolver, plan.origDst.guard);
        if (!resolved.ok) return void raw.destroy();
        dst = resolved.dst;
      }
      const socket = terminateTls ? (client = await terminateTls(raw, record)) : raw;
      const protocol = plan.protocolFor(dst?.port ?? boundPort);
      const detection =
        protocol === 'detect'
          ? await detectProtocol(socket, record, timeouts.detect)
          : { protocol: protocol === 'http' ? ('http1' as const) : ('opaque' as const), leftover: null };
      if (detection.protocol === 'closed') return;
      const upstream = plan.upstreamFor(dst);
      if (detection.protocol === 'http1') {
        httpTo(upstream).serve(socket, record);
        return observer.connectionRouted(record);
      }
      observer.connectionRouted(record);
      await forwardTcp(socket, record, { ...upstream, connectTimeoutMs: timeouts.upstreamConnect, idleTimeoutMs: timeouts.idle }, detection.leftover);
    } catch (err) {
      record.error ??= classifyError(err, 'downstream');
      raw.destroy();
    }
  }

  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (raw) => void handle(raw));
  boundPort = await listen(server, plan.address, plan.port);
  server.on('error', () => {}); // accept errors (EMFILE) must not crash the process

  return {
    name: plan.name,
    address: plan.address,
    port: boundPort,
    stopAccepting: () => new Promise<void>((resolve) => server.close(() => resolve())),
    connections: () => open.size,
    destroyAll() {
      for (const socket of open) socket.destroy();
      for (const forwarder of forwarders.values()) forwarder.close();
    },
  };
}
