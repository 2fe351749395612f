// A listener, read top to bottom as its stages run:
// accept -> resolveOrigDst -> rejectLoops -> detectTls -> terminateTls -> authorize -> detectProtocol
//   -> route -> forwardHttp | forwardTcp.
// Which stages apply, and with what settings, is the listener's plan (plans.ts).
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions } from 'node:tls';
import type { InboundMode, ProxyConfig } from '@outrigger/config';
import type { OrigDstResolver, SocketAddress } from '@outrigger/original-dst';
import { classifyError } from '@outrigger/telemetry';
import type { MeshTlsOptions } from './mesh-dialer.ts';
import type { Observer } from './observe.ts';
import type { ConnectionRecord, Direction } from './record.ts';
import { accept } from './stages/accept.ts';
import { authorize } from './stages/authorize.ts';
import { detectProtocol } from './stages/detect-protocol.ts';
import { detectTls } from './stages/detect-tls.ts';
import { createHttpForwarder, type HttpForwarder } from './stages/forward-http.ts';
import { forwardTcp } from './stages/forward-tcp.ts';
import { resolveOrigDst, type LoopGuard } from './stages/resolve-orig-dst.ts';
import { createTlsTerminator, type TlsTerminator } from './stages/terminate-tls.ts';
import { listen } from './listen.ts';

export interface Upstream {
  host: string;
  port: number;
  /** Mesh mTLS options, read per new connection; absent: plaintext. */
  tls?: () => MeshTlsOptions;
}

export interface PortPolicy {
  mode: InboundMode;
  allow: readonly string[] | undefined;
  edgeTls: boolean;
}

export interface ListenerPlan {
  name: string;
  direction: Direction;
  address: string;
  port: number;
  /** Explicit listeners: TLS is always terminated in this mode. */
  tls: { mode: 'server' | 'mutual'; contextOptions: SecureContextOptions } | null;
  /** Transparent inbound: detect mesh mTLS, edge TLS or plaintext per connection. */
  meshTls: { contextOptions: SecureContextOptions; trustDomain: string } | null;
  /** Transparent listeners: where to learn the original destination, and which ports are ours. */
  origDst: { resolver: OrigDstResolver; guard: LoopGuard } | null;
  policyFor(port: number): PortPolicy;
  /** `detect` sniffs the first bytes; `tcp` never does (server-first protocols); `http` trusts. */
  protocolFor(port: number): 'detect' | 'http' | 'tcp';
  /** Where to forward: a fixed app port (explicit), or derived from the original destination. */
  upstreamFor(dst: SocketAddress | null): Upstream;
}

export interface RunningListener {
  name: string;
  address: string;
  port: number;
  /** A rotated identity: new handshakes use it; live connections keep theirs. */
  setIdentity(contextOptions: SecureContextOptions): void;
  readonly direction: Direction;
  /** Stop accepting; connections in flight carry on. Resolves once the port is closed, not when they end. */
  stopAccepting(): Promise<void>;
  /** Stop accepting and wind HTTP down: idle keep-alive connections close, busy ones after their response. Resolves at once. */
  drain(): Promise<void>;
  connections(): number;
  destroyAll(): void;
}

export interface ListenerSettings {
  timeouts: ProxyConfig['timeouts'];
  limits: ProxyConfig['limits'];
}

/**
 * `settings` is read again for every connection, so a reloaded config's detect and idle timeouts
 * apply to new connections; the others are fixed when the listener starts (a restart changes them).
 */
export async function startListener(plan: ListenerPlan, settings: () => ListenerSettings, observer: Observer, now: () => number): Promise<RunningListener> {
  const { timeouts, limits } = settings();
  const terminator = (mode: 'server' | 'mutual', contextOptions: SecureContextOptions, trustDomain?: string) =>
    createTlsTerminator({ mode, contextOptions, handshakeTimeoutMs: timeouts.tlsHandshake, alpnHttp1: true, trustDomain });
  const explicitTls = plan.tls ? terminator(plan.tls.mode, plan.tls.contextOptions) : null;
  const meshTls = plan.meshTls ? terminator('mutual', plan.meshTls.contextOptions, plan.meshTls.trustDomain) : null;
  const edgeTls = plan.meshTls ? terminator('server', plan.meshTls.contextOptions) : null;
  const terminators = [explicitTls, meshTls, edgeTls].filter((t): t is TlsTerminator => t !== null);
  const forwarders = new Map<string, HttpForwarder>();
  const httpTo = (upstream: Upstream): HttpForwarder => {
    const key = `${upstream.host}|${upstream.port}|${upstream.tls ? 'mtls' : 'plain'}`;
    let forwarder = forwarders.get(key);
    if (!forwarder) {
      forwarder = createHttpForwarder({
        host: upstream.host,
        port: upstream.port,
        tls: upstream.tls,
        connectTimeoutMs: timeouts.upstreamConnect,
        idleTimeoutMs: timeouts.idle,
        responseTimeoutMs: timeouts.upstreamResponse,
        headersTimeoutMs: timeouts.requestHeaders,
        maxHeaderBytes: limits.maxRequestHeaderBytes,
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

  /** TLS stages; returns the socket to read the app's bytes from, or null when the connection ends here. */
  async function secure(raw: Socket, record: ConnectionRecord, policy: PortPolicy): Promise<{ socket: Duplex; opaque: boolean; leftover: Buffer | null } | null> {
    if (explicitTls) return { socket: await explicitTls.terminate(raw, record), opaque: false, leftover: null };
    if (!meshTls || !edgeTls) return { socket: raw, opaque: false, leftover: null };
    const seen = await detectTls(raw, record, settings().timeouts.detect);
    if (seen.kind === 'closed') return null;
    if (seen.kind === 'mesh') {
      record.meshHop = true;
      return { socket: await meshTls.terminate(raw, record), opaque: false, leftover: null };
    }
    if (seen.kind === 'tls' && policy.edgeTls) return { socket: await edgeTls.terminate(raw, record), opaque: false, leftover: null };
    if (policy.mode === 'strict') {
      // Strict ports take mesh mTLS only: plaintext, foreign TLS and silent clients are refused.
      record.error = 'client_cert_required';
      record.denied = seen.kind === 'tls' ? 'not_mesh_tls' : 'plaintext';
      return null;
    }
    if (seen.kind === 'tls') record.protocol = 'tls'; // the app's own TLS, passed through untouched
    return { socket: raw, opaque: seen.kind !== 'plaintext' || record.detectTimedOut, leftover: seen.leftover };
  }

  async function handle(raw: Socket): Promise<void> {
    const live = settings().timeouts;
    const record = accept(raw, { direction: plan.direction, listener: plan.name, port: boundPort, idleTimeoutMs: live.idle, now });
    open.add(raw);
    // Bytes are counted on the socket the app's bytes travel on: after TLS decryption.
    let client: Duplex & { bytesRead?: number; bytesWritten?: number } = raw;
    raw.once('close', () => {
      open.delete(raw);
      record.bytesReceived = record.tlsFailure ? 0 : (client.bytesRead ?? 0);
      record.bytesSent = record.tlsFailure ? 0 : (client.bytesWritten ?? 0);
      observer.connectionClosed(record);
    });
    try {
      let dst: SocketAddress | null = null;
      if (plan.origDst) {
        const resolved = resolveOrigDst(raw, record, plan.origDst.resolver, plan.origDst.guard);
        if (!resolved.ok) return void raw.destroy();
        dst = resolved.dst;
      }
      const port = dst?.port ?? boundPort;
      const policy = plan.policyFor(port);
      const secured = await secure(raw, record, policy);
      if (!secured) return void raw.destroy();
      client = secured.socket;
      const decision = authorize(record.peerIdentity, policy.allow, plan.meshTls?.trustDomain ?? '');
      if (!decision.allowed) record.denied = decision.reason;
      const protocol = secured.opaque ? 'tcp' : plan.protocolFor(port);
      const detection =
        protocol === 'detect'
          ? await detectProtocol(secured.socket, record, live.detect)
          : { protocol: protocol === 'http' ? ('http1' as const) : ('opaque' as const), leftover: secured.leftover };
      // The client left before saying anything (a TCP health check): close our side too, or the
      // socket (half-open: allowHalfOpen) would hold its slot of maxConnections until the idle timeout.
      if (detection.protocol === 'closed') return void raw.destroy();
      const upstream = plan.upstreamFor(dst);
      if (upstream.tls) record.tls = 'mutual';
      if (detection.protocol === 'http1') {
        // Denied peers still get an HTTP answer: 403 per request (forward-http.ts).
        httpTo(upstream).serve(secured.socket, record);
        return observer.connectionRouted(record);
      }
      observer.connectionRouted(record);
      if (record.denied) {
        record.error = 'authz_denied';
        return void raw.destroy();
      }
      const tcpUpstream = { host: upstream.host, port: upstream.port, tls: upstream.tls?.(), connectTimeoutMs: timeouts.upstreamConnect, idleTimeoutMs: live.idle };
      await forwardTcp(secured.socket, record, tcpUpstream, detection.leftover);
    } catch (err) {
      record.error ??= classifyError(err, 'downstream');
      raw.destroy();
    }
  }

  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (raw) => void handle(raw));
  // Past the limit node closes new connections at once; each is counted as a proxy error.
  server.maxConnections = limits.maxConnectionsPerListener;
  server.on('drop', () => observer.connectionDropped(plan.direction));
  boundPort = await listen(server, plan.address, plan.port, true);
  server.on('error', () => {}); // accept errors (EMFILE) must not crash the process
  // Closes the listening socket at once (new connections are refused); open ones carry on.
  const stopListening = () => {
    if (server.listening) server.close();
  };

  return {
    name: plan.name,
    address: plan.address,
    port: boundPort,
    direction: plan.direction,
    setIdentity: (contextOptions) => terminators.forEach((t) => t.setContext(contextOptions)),
    // server.close()'s callback waits for every open connection to end; the drain's deadline is
    // the runtime's to keep, so these return once the listening socket is closed.
    stopAccepting: async () => stopListening(),
    async drain() {
      stopListening();
      for (const forwarder of forwarders.values()) forwarder.drain();
    },
    connections: () => open.size,
    destroyAll() {
      for (const socket of open) socket.destroy();
      for (const forwarder of forwarders.values()) forwarder.close();
    },
  };
}
