// HTTP/1.x to the upstream over a keep-alive pool (undici, upstream-pool.ts): one RequestRecord per
// request (timings, sizes, status, error kind), x-request-id when missing, x-forwarded-*, proxy
// errors answered as 502/503/504 with `x-outrigger-error`, WebSocket upgrades passed through
// http-proxy-3.
import { Agent, Server, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { Dispatcher } from 'undici';
import { classifyError, ERROR_KINDS, OutriggerError, type ErrorKind } from '@outrigger/telemetry';
import type { MeshTlsOptions } from '../mesh-dialer.ts';
import type { ConnectionRecord, RequestRecord } from '../record.ts';
import { createUpstreamPool, type PeerSlot } from './upstream-pool.ts';

export interface HttpUpstream {
  host: string;
  port: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** No byte from the app for this long while a request is in flight: 504 (nginx's proxy_read_timeout). */
  responseTimeoutMs: number;
  /** Slowloris: a client must finish its request headers within this time (408 otherwise). */
  headersTimeoutMs: number;
  maxHeaderBytes: number;
  /** x-forwarded-for/-proto/-port/-host for the app behind an inbound listener; outbound requests go out as the app wrote them. */
  forwardedHeaders: boolean;
  /** Mesh mTLS to the peer's inbound sidecar, options read per new connection (rotation). */
  tls?: () => MeshTlsOptions;
  now: () => number;
  onRequestEnd: (request: RequestRecord) => void;
}

export interface HttpForwarder {
  /** Serve HTTP/1 on a connection whose first bytes were already peeked and put back. */
  serve(socket: Duplex, record: ConnectionRecord): void;
  /** Graceful shutdown: busy keep-alive connections close after their current response (sent with `Connection: close`), idle ones after IDLE_DRAIN_GRACE_MS unless a last request comes first. */
  drain(): void;
  close(): void;
}

const HOP_BY_HOP: readonly string[] = ['connection', 'keep-alive', 'proxy-connection'];
const REQUEST_DROPPED: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'transfer-encoding', 'upgrade', 'expect', 'te']);
/** Idle keep-alive to clients: longer than common client pools and load balancers (60 s). */
const KEEP_ALIVE_MS = 65_000;
/** At a drain, idle keep-alive connections stay open this long for a last request (answered with `Connection: close`). */
export const IDLE_DRAIN_GRACE_MS = 1_000;

/** What the forwarder keeps per client connection, in one place (one Map lookup per request). */
interface ClientConnection {
  readonly socket: Duplex;
  readonly record: ConnectionRecord;
  /** Requests in progress (keep-alive idles at 0), for the drain and the header timer. */
  busy: number;
  /**
   * Slowloris guard: while the connection is idle (busy 0), the next request's headers must be
   * complete before this fires. One timer per connection, refreshed after each response instead
   * of a new one per request; it does nothing if it fires while a request is in progress.
   */
  headerTimer: NodeJS.Timeout | null;
  /** The header timer's period is the keep-alive one (after the first response), not the first request's. */
  keptAlive: boolean;
  /** x-forwarded-for/-port values for this connection's client, computed at its first request. */
  forwardedFor: string | null;
  forwardedPort: string;
}

/** Header names a Connection header lists beyond its usual tokens (close, keep-alive, upgrade). */
function listedInConnection(connection: string | string[] | undefined): string[] {
  if (connection === undefined) return [];
  return (Array.isArray(connection) ? connection.join(',') : connection)
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade');
}

/** The fixed hop-by-hop headers plus those a Connection header names (the fixed list itself, usually). */
function hopByHop(connection: string | string[] | undefined): readonly string[] {
  const listed = listedInConnection(connection);
  return listed.length === 0 ? HOP_BY_HOP : [...HOP_BY_HOP, ...listed];
}

export function createHttpForwarder(upstream: HttpUpstream): HttpForwarder {
  const hostForUrl = upstream.host.includes(':') ? `[${upstream.host}]` : upstream.host;
  const upstreamHost = `${hostForUrl}:${upstream.port}`;
  const upstreamOrigin = `http://${upstreamHost}`;
  // Reused connections to the app (or the peer's sidecar); the app's own keep-alive timeout (node:
  // 5 s) closes idle ones, and the pool honours its `Keep-Alive: timeout` hint less a margin so a
  // closing connection is not reused (upstream-pool.ts).
  const pool = createUpstreamPool({ host: upstream.host, port: upstream.port, tls: upstream.tls, connectTimeoutMs: upstream.connectTimeoutMs });
  // WebSocket upgrades go through http-proxy-3 on connections of their own (never pooled).
  const agent = upstream.tls ? meshAgent(upstream.tls) : new Agent({ keepAlive: false });
  const scheme = upstream.tls ? 'https' : 'http';
  const proxy = createProxyServer({ target: `${scheme}://${upstreamHost}`, agent, xfwd: false, ws: true, secure: true, connectTimeout: upstream.connectTimeoutMs });
  const connections = new Map<Duplex, ClientConnection>();
  /** Responses in progress: told `Connection: close` when a drain starts, if not yet sent. */
  const answering = new Set<ServerResponse>();
  let draining = false;
  // requestTimeout 0: uploads may be long. node enforces headersTimeout only on connections it
  // accepted itself (ours are handed over with emit), so slow headers are bounded by headerTimer.
  const server = new Server({
    keepAliveTimeout: KEEP_ALIVE_MS,
    requestTimeout: 0,
    maxHeaderSize: upstream.maxHeaderBytes,
  });
  // A client that half-closes after its request (shutdown(SHUT_WR)) still wants the response; node
  // would abort the request on the client's FIN without this.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;

  const onHeaderTimeout = (conn: ClientConnection) => {
    const socket = conn.socket;
    if (conn.busy > 0 || socket.destroyed) return;
    conn.record.error ??= 'request_header_timeout';
    if (socket.writable) socket.end('HTTP/1.1 408 Request Timeout\r\nconnection: close\r\nx-outrigger-error: request_header_timeout\r\ncontent-length: 0\r\n\r\n');
    setTimeout(() => socket.destroy(), 1000).unref();
  };
  /** Idle again: the next request's headers are due within keep-alive + headers timeout. */
  const awaitNextRequest = (conn: ClientConnection) => {
    if (conn.keptAlive) {
      conn.headerTimer?.refresh();
      return;
    }
    conn.keptAlive = true;
    clearTimeout(conn.headerTimer ?? undefined);
    conn.headerTimer = setTimeout(onHeaderTimeout, KEEP_ALIVE_MS + upstream.headersTimeoutMs, conn).unref();
  };

  // WebSocket upgrades only: the client went away while the upgrade was in flight.
  proxy.on('econnreset', () => {});

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // The socket as of now: node detaches it from req once the response is done.
    const socket = req.socket;
    const conn = connections.get(socket);
    if (!conn) {
      res.destroy();
      return;
    }
    const connection = conn.record;
    connection.requests++;
    conn.busy++;
    if (draining) res.setHeader('connection', 'close'); // node then closes after this response
    answering.add(res);
    const request = newRequest(connection, req, upstream.now());
    if (!req.headers['x-request-id']) req.headers['x-request-id'] = request.requestId;
    if (upstream.forwardedHeaders) setForwardedHeaders(req, conn);
    let exchange: Exchange | null = null;
    // One listener per response for everything that happens when it ends.
    res.once('close', () => {
      answering.delete(res);
      request.responseCode = res.statusCode;
      if (!res.writableFinished) {
        request.error ??= 'downstream_aborted';
        addFlag(request, ERROR_KINDS.downstream_aborted.flag);
        request.responseCode = res.headersSent ? res.statusCode : 0;
      }
      upstream.onRequestEnd(request);
      if (!res.writableFinished) exchange?.abandon();
      if (--conn.busy > 0 || !connections.has(socket)) return; // busy, or closed meanwhile
      if (draining) socket.end();
      else awaitNextRequest(conn);
    });
    if (connection.denied) {
      // The connection's peer is not on the port's allow-list: answer, never forward.
      request.error = 'authz_denied';
      addFlag(request, ERROR_KINDS.authz_denied.flag);
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'x-outrigger-error': 'authz_denied' });
      res.end(`outrigger: authz_denied: ${connection.peerIdentity ?? 'a peer without a mesh identity'} may not call this port (${connection.denied})\n`);
      return;
    }
    exchange = forward(req, res, request);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const connection = connections.get(socket)?.record;
    socket.on('error', () => {});
    proxy.ws(req, socket, head, {}, (err) => {
      if (connection) connection.error ??= classifyError(err, 'upstream');
      socket.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Malformed requests, oversized headers, slow headers (slowloris): answered and closed.
    const kind = classifyError(err, 'downstream');
    const connection = connections.get(socket)?.record;
    if (connection) connection.error ??= kind;
    const status = ERROR_KINDS[kind].httpStatus;
    if (socket.writable && status && kind !== 'downstream_aborted') {
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\nx-outrigger-error: ${kind}\r\ncontent-length: 0\r\n\r\n`);
    } else socket.destroy();
  });

  /**
   * One request to the upstream on the pool; its answer is written to `res` as it arrives.
   * Returns what to call if the client goes away before the response is complete.
   */
  function forward(req: IncomingMessage, res: ServerResponse, request: RequestRecord): Exchange {
    const headers = requestHeaders(req.headers);
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    const exchange = new Exchange(req, res, request, upstream.now, upstream.tls !== undefined);
    request.upstreamStartedAt = upstream.now();
    pool.dispatch(
      {
        origin: upstreamOrigin,
        path: req.url ?? '/',
        method: req.method ?? 'GET',
        headers,
        body: hasBody ? req : null,
        headersTimeout: upstream.responseTimeoutMs,
        bodyTimeout: upstream.responseTimeoutMs,
      },
      exchange,
      exchange.meshed ? exchange : null,
    );
    return exchange;
  }

  return {
    serve(socket, record) {
      record.protocol = 'http/1.1';
      record.upstreamHost = upstreamHost;
      const conn: ClientConnection = { socket, record, busy: 0, headerTimer: null, keptAlive: false, forwardedFor: null, forwardedPort: '' };
      connections.set(socket, conn);
      // node's HTTP server reads a fresh socket's handle directly, bypassing the stream buffer
      // where detection put the peeked bytes back; marking the handle consumed keeps it on the
      // stream path, so those bytes are parsed first. Without peeked bytes the fast path stays.
      const handle = (socket as Duplex & { _handle?: { _consumed?: boolean } })._handle;
      const peeked = socket.readableLength > 0;
      if (peeked && handle) handle._consumed = true;
      server.emit('connection', socket);
      socket.resume();
      conn.headerTimer = setTimeout(onHeaderTimeout, upstream.headersTimeoutMs, conn).unref();
      socket.once('close', () => {
        clearTimeout(conn.headerTimer ?? undefined);
        connections.delete(socket);
      });
    },
    drain() {
      draining = true;
      // A busy connection closes after its response, which says so: its client will not reuse it.
      for (const res of answering) if (!res.headersSent) res.setHeader('connection', 'close');
      // An idle one may be in a client's hands this instant (a keep-alive pool sends on it while our
      // FIN is in flight, and that request fails). During a short grace it is answered with
      // `Connection: close` instead; those still idle afterwards are closed.
      const closeIdle = () => {
        for (const conn of connections.values()) if (conn.busy === 0) conn.socket.end();
      };
      setTimeout(closeIdle, IDLE_DRAIN_GRACE_MS).unref();
    },
    close() {
      server.closeAllConnections();
      pool.destroy();
      agent.destroy();
      proxy.close();
    },
  };
}

/**
 * One request on its way to the upstream and back: undici's handler for it (a class, not a fresh
 * object of closures per request), and the slot that learns which pooled connection, so which
 * peer, carried it.
 */
class Exchange implements Dispatcher.DispatchHandler, PeerSlot {
  peer: PeerSlot['peer'] = null;
  #controller: Dispatcher.DispatchController | null = null;
  #clientGone = false;
  #responded = false;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #request: RequestRecord;
  readonly #now: () => number;
  /** Mesh mTLS upstream: the request record takes the peer identity of the connection used. */
  readonly meshed: boolean;

  constructor(req: IncomingMessage, res: ServerResponse, request: RequestRecord, now: () => number, meshed: boolean) {
    this.#req = req;
    this.#res = res;
    this.#request = request;
    this.#now = now;
    this.meshed = meshed;
  }

  /** The client went away before the response was complete: stop the upstream request. */
  abandon(): void {
    this.#clientGone = true;
    this.#controller?.abort(new OutriggerError('downstream_aborted'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new OutriggerError('downstream_aborted'));
  }

  onBodySent(chunk: Buffer): void {
    this.#request.bytesReceived += chunk.length;
  }

  onResponseStart(_: Dispatcher.DispatchController, statusCode: number, responseHeaders: IncomingHttpHeaders, statusMessage?: string): void {
    this.#responded = true;
    const request = this.#request;
    request.upstreamHeadersAt = this.#now();
    if (this.meshed) request.connection.peerIdentity = this.peer?.peerIdentity ?? null;
    // The app's `Connection`/`Keep-Alive` describe its hop to us; node's server decides the
    // client's (honouring the client's own `Connection: close`).
    for (const header of hopByHop(responseHeaders.connection)) delete responseHeaders[header];
    // An HTTP/1.0 client cannot read chunked framing; node's server then delimits by close.
    if (this.#req.httpVersion === '1.0') delete responseHeaders['transfer-encoding'];
    if (this.#clientGone) return;
    this.#res.writeHead(statusCode, statusMessage || undefined, responseHeaders as OutgoingHttpHeaders);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#request.bytesSent += chunk.length;
    if (this.#clientGone) return;
    if (!this.#res.write(chunk)) {
      controller.pause();
      this.#res.once('drain', () => this.#controller?.resume());
    }
  }

  onResponseEnd(): void {
    this.#res.end();
  }

  onResponseError(_: Dispatcher.DispatchController, err: Error): void {
    if (this.#clientGone) return;
    if (!this.#responded) return answerError(this.#res, this.#request, err);
    // The app went away or stalled mid-response: end the client's response so it sees a
    // truncated one rather than waiting for bytes that never come.
    const kind = classifyError(err, 'upstream');
    this.#request.error ??= kind;
    addFlag(this.#request, ERROR_KINDS[kind].flag);
    this.#res.destroy();
  }
}

function answerError(res: ServerResponse, request: RequestRecord, err: Error): void {
  const kind: ErrorKind = request.connection.error === 'downstream_aborted' ? 'downstream_aborted' : classifyError(err, 'upstream');
  request.error = kind;
  addFlag(request, ERROR_KINDS[kind].flag);
  const status = ERROR_KINDS[kind].httpStatus;
  if (res.headersSent || !status) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-outrigger-error': kind });
  res.end(`outrigger: ${kind}: ${ERROR_KINDS[kind].description}\n`);
}

/** A keep-alive pool of mesh mTLS connections: each new one gets the identity current then. */
function meshAgent(tlsOptions: () => MeshTlsOptions): HttpsAgent {
  const agent = new HttpsAgent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' });
  (agent as unknown as { createConnection: (options: ConnectionOptions) => TLSSocket }).createConnection = (options) => {
    const tls = tlsOptions();
    const socket = connectTls({ ...options, ...tls });
    tls.keepSessions(socket);
    return socket;
  };
  return agent;
}

/**
 * Request headers for the upstream: the client's, less hop-by-hop ones (its `Connection: close`
 * forwarded would defeat the pool) and those whose framing the pool redoes (transfer-encoding;
 * expect, which node's server already answered with 100 Continue).
 */
function requestHeaders(incoming: IncomingHttpHeaders): Record<string, string | string[]> {
  const listed = listedInConnection(incoming.connection);
  const dropped = listed.length === 0 ? REQUEST_DROPPED : new Set([...REQUEST_DROPPED, ...listed]);
  const headers: Record<string, string | string[]> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value !== undefined && !dropped.has(name)) headers[name] = value;
  }
  return headers;
}

function newRequest(connection: ConnectionRecord, req: IncomingMessage, now: number): RequestRecord {
  const forwardedFor = req.headers['x-forwarded-for'];
  return {
    connection,
    startedAt: now,
    method: req.method ?? '',
    path: req.url ?? '',
    authority: req.headers.host ?? '',
    protocol: `http/${req.httpVersion}`,
    requestId: (req.headers['x-request-id'] as string | undefined) ?? randomUUID(),
    userAgent: req.headers['user-agent'] ?? null,
    xForwardedFor: Array.isArray(forwardedFor) ? forwardedFor.join(', ') : (forwardedFor ?? null),
    responseCode: 0,
    bytesReceived: 0,
    bytesSent: 0,
    upstreamStartedAt: null,
    upstreamHeadersAt: null,
    error: null,
    responseFlags: [],
  };
}

/** x-forwarded-for (appended), -proto, -port and -host, as nginx and Envoy set them for the app. */
function setForwardedHeaders(req: IncomingMessage, conn: ClientConnection): void {
  const socket = req.socket as IncomingMessage['socket'] & { encrypted?: boolean };
  if (conn.forwardedFor === null) {
    conn.forwardedFor = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    conn.forwardedPort = String(socket.localPort ?? '');
  }
  // A mesh hop is the sidecars' TLS: the client itself spoke plain http.
  const client = conn.forwardedFor;
  const prior = req.headers['x-forwarded-for'];
  req.headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}` : client;
  req.headers['x-forwarded-proto'] = socket.encrypted && !conn.record.meshHop ? 'https' : 'http';
  req.headers['x-forwarded-port'] = conn.forwardedPort;
  if (req.headers.host && !req.headers['x-forwarded-host']) req.headers['x-forwarded-host'] = req.headers.host;
}

function addFlag(request: RequestRecord, flag: string): void {
  if (flag !== '-' && !request.responseFlags.includes(flag)) request.responseFlags.push(flag);
}
