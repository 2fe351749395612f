// HTTP/1.x to the upstream through http-proxy-3, over a keep-alive pool: one RequestRecord per
// request (timings, sizes, status, error kind), x-request-id when missing, x-forwarded-*, proxy
// errors answered as 502/503/504 with `x-outrigger-error`, WebSocket upgrades passed through.
import { Agent, Server, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { peerIdentityFromSubjectAltName } from '@outrigger/pki';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { classifyError, ERROR_KINDS, OutriggerError, type ErrorKind } from '@outrigger/telemetry';
import type { MeshTlsOptions } from '../mesh-dialer.ts';
import type { ConnectionRecord, RequestRecord } from '../record.ts';

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
  /** Graceful shutdown: idle keep-alive connections close now, busy ones after their current response. */
  drain(): void;
  close(): void;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection'];
/** Idle keep-alive to clients: longer than common client pools and load balancers (60 s). */
const KEEP_ALIVE_MS = 65_000;

/** One timer per connection waiting for complete request headers (slowloris protection). */
function createHeaderTimers(onTimeout: (socket: Duplex) => void) {
  const timers = new WeakMap<Duplex, NodeJS.Timeout>();
  return {
    arm(socket: Duplex, ms: number) {
      clearTimeout(timers.get(socket));
      const timer = setTimeout(() => onTimeout(socket), ms);
      timer.unref();
      timers.set(socket, timer);
    },
    disarm(socket: Duplex) {
      clearTimeout(timers.get(socket));
      timers.delete(socket);
    },
  };
}

/** The fixed hop-by-hop headers plus those a Connection header names. */
function hopByHop(connection: string | string[] | undefined): string[] {
  const listed = (Array.isArray(connection) ? connection.join(',') : (connection ?? ''))
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade');
  return [...HOP_BY_HOP, ...listed];
}

export function createHttpForwarder(upstream: HttpUpstream): HttpForwarder {
  const hostForUrl = upstream.host.includes(':') ? `[${upstream.host}]` : upstream.host;
  const upstreamHost = `${hostForUrl}:${upstream.port}`;
  // Reused connections to the app; the app's own keep-alive timeout (node: 5 s) closes idle ones,
  // and node's agent honours its `Keep-Alive: timeout` hint so a closing socket is not reused.
  const agent = upstream.tls ? meshAgent(upstream.tls) : new Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' });
  const scheme = upstream.tls ? 'https' : 'http';
  const proxy = createProxyServer({ target: `${scheme}://${upstreamHost}`, agent, xfwd: false, ws: true, secure: true, connectTimeout: upstream.connectTimeoutMs });
  const records = new WeakMap<object, ConnectionRecord>();
  /** Requests in progress per client connection (keep-alive idles at 0), for the drain. */
  const inFlight = new Map<Duplex, number>();
  let draining = false;
  // getPeerCertificate() builds the whole certificate object: once per pooled connection, not per
  // request (it was 16 % of a sidecar's CPU under load).
  const peers = new WeakMap<TLSSocket, string | null>();
  const peerOf = (socket: TLSSocket): string | null => {
    let id = peers.get(socket);
    if (id === undefined) {
      id = peerIdentityFromSubjectAltName(socket.getPeerCertificate().subjectaltname) ?? null;
      peers.set(socket, id);
    }
    return id;
  };
  const requests = new WeakMap<IncomingMessage, RequestRecord>();
  // requestTimeout 0: uploads may be long. node enforces headersTimeout only on connections it
  // accepted itself (ours are handed over with emit), so slow headers are bounded by headerTimers.
  const server = new Server({
    keepAliveTimeout: KEEP_ALIVE_MS,
    requestTimeout: 0,
    maxHeaderSize: upstream.maxHeaderBytes,
  });
  // A client that half-closes after its request (shutdown(SHUT_WR)) still wants the response; node
  // would abort the request on the client's FIN without this.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;

  const headerTimers = createHeaderTimers((socket) => {
    const connection = records.get(socket);
    if (connection) connection.error ??= 'request_header_timeout';
    if (socket.writable) socket.end('HTTP/1.1 408 Request Timeout\r\nconnection: close\r\nx-outrigger-error: request_header_timeout\r\ncontent-length: 0\r\n\r\n');
    setTimeout(() => socket.destroy(), 1000).unref();
  });

  proxy.on('proxyReq', (proxyReq, req) => {
    const request = requests.get(req);
    if (request) request.upstreamStartedAt = upstream.now();
    // http-proxy's own proxyTimeout destroys without a cause (a 502 "socket hang up"); ours says
    // what happened, so the client gets 504 upstream_timeout.
    proxyReq.setTimeout(upstream.responseTimeoutMs, () => proxyReq.destroy(new OutriggerError('upstream_timeout', `no response bytes from the app for ${upstream.responseTimeoutMs} ms`)));
    // Hop-by-hop headers (RFC 9110 7.6.1) describe the client's hop: its `Connection: close`
    // forwarded upstream would defeat the pool. Upgrades keep theirs (http-proxy handles them).
    if (req.headers.upgrade) return;
    for (const header of hopByHop(req.headers.connection)) proxyReq.removeHeader(header);
  });
  proxy.on('proxyRes', (proxyRes, req, res) => {
    // Likewise the app's `Connection`/`Keep-Alive` describe its hop to us; node's server decides
    // the client's (honouring the client's own `Connection: close`).
    if (proxyRes.statusCode !== 101) for (const header of hopByHop(proxyRes.headers.connection)) delete proxyRes.headers[header];
    const request = requests.get(req);
    if (!request) return;
    request.upstreamHeadersAt = upstream.now();
    const upstreamSocket = proxyRes.socket as TLSSocket | null;
    if (upstreamSocket && upstream.tls) request.connection.peerIdentity = peerOf(upstreamSocket);
    proxyRes.on('data', (chunk: Buffer) => (request.bytesSent += chunk.length));
    // The app went away mid-response: a pipe does not end the client's response then, so the
    // client would wait for bytes that never come. Close it so it sees a truncated response.
    proxyRes.once('close', () => {
      if (proxyRes.complete) return;
      request.error ??= 'upstream_reset';
      addFlag(request, ERROR_KINDS.upstream_reset.flag);
      res.destroy();
    });
  });
  // The client went away while the upstream request was in flight; res 'close' records it.
  proxy.on('econnreset', () => {});

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const connection = records.get(req.socket);
    if (!connection) {
      res.destroy();
      return;
    }
    connection.requests++;
    headerTimers.disarm(req.socket);
    const busy = inFlight.get(req.socket) ?? 0;
    inFlight.set(req.socket, busy + 1);
    if (draining) res.setHeader('connection', 'close'); // node then closes after this response
    res.once('close', () => {
      const left = (inFlight.get(req.socket) ?? 1) - 1;
      inFlight.set(req.socket, left);
      if (draining && left === 0) req.socket.end();
    });
    const request = newRequest(connection, req, upstream.now());
    requests.set(req, request);
    // The next request on this connection must arrive with complete headers in time too.
    res.once('finish', () => headerTimers.arm(req.socket, KEEP_ALIVE_MS + upstream.headersTimeoutMs));
    if (!req.headers['x-request-id']) req.headers['x-request-id'] = request.requestId;
    if (upstream.forwardedHeaders) setForwardedHeaders(req, connection);
    res.once('close', () => {
      request.responseCode = res.statusCode;
      if (!res.writableFinished) {
        request.error ??= 'downstream_aborted';
        addFlag(request, ERROR_KINDS.downstream_aborted.flag);
        request.responseCode = res.headersSent ? res.statusCode : 0;
      }
      upstream.onRequestEnd(request);
    });
    if (connection.denied) {
      // The connection's peer is not on the port's allow-list: answer, never forward.
      request.error = 'authz_denied';
      addFlag(request, ERROR_KINDS.authz_denied.flag);
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'x-outrigger-error': 'authz_denied' });
      res.end(`outrigger: authz_denied: ${connection.peerIdentity ?? 'a peer without a mesh identity'} may not call this port (${connection.denied})\n`);
      return;
    }
    proxy.web(req, res, {}, (err) => answerError(res, request, err));
    if (req.readableFlowing) req.on('data', (chunk: Buffer) => (request.bytesReceived += chunk.length));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const connection = records.get(socket);
    socket.on('error', () => {});
    proxy.ws(req, socket, head, {}, (err) => {
      if (connection) connection.error ??= classifyError(err, 'upstream');
      socket.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Malformed requests, oversized headers, slow headers (slowloris): answered and closed.
    const kind = classifyError(err, 'downstream');
    const connection = records.get(socket);
    if (connection) connection.error ??= kind;
    const status = ERROR_KINDS[kind].httpStatus;
    if (socket.writable && status && kind !== 'downstream_aborted') {
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\nx-outrigger-error: ${kind}\r\ncontent-length: 0\r\n\r\n`);
    } else socket.destroy();
  });

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

  return {
    serve(socket, record) {
      record.protocol = 'http/1.1';
      record.upstreamHost = upstreamHost;
      records.set(socket, record);
      // node's HTTP server reads a fresh socket's handle directly, bypassing the stream buffer
      // where detection put the peeked bytes back; marking the handle consumed keeps it on the
      // stream path, so those bytes are parsed first. Without peeked bytes the fast path stays.
      const handle = (socket as Duplex & { _handle?: { _consumed?: boolean } })._handle;
      const peeked = socket.readableLength > 0;
      if (peeked && handle) handle._consumed = true;
      server.emit('connection', socket);
      socket.resume();
      headerTimers.arm(socket, upstream.headersTimeoutMs);
      inFlight.set(socket, 0);
      socket.once('close', () => {
        headerTimers.disarm(socket);
        inFlight.delete(socket);
      });
    },
    drain() {
      draining = true;
      for (const [socket, busy] of inFlight) if (busy === 0) socket.end();
    },
    close() {
      server.closeAllConnections();
      agent.destroy();
      proxy.close();
    },
  };
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
function setForwardedHeaders(req: IncomingMessage, connection: ConnectionRecord): void {
  const socket = req.socket as IncomingMessage['socket'] & { encrypted?: boolean };
  // A mesh hop is the sidecars' TLS: the client itself spoke plain http.
  const client = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const prior = req.headers['x-forwarded-for'];
  req.headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}` : client;
  req.headers['x-forwarded-proto'] = socket.encrypted && !connection.meshHop ? 'https' : 'http';
  req.headers['x-forwarded-port'] = String(socket.localPort ?? '');
  if (req.headers.host && !req.headers['x-forwarded-host']) req.headers['x-forwarded-host'] = req.headers.host;
}

function addFlag(request: RequestRecord, flag: string): void {
  if (flag !== '-' && !request.responseFlags.includes(flag)) request.responseFlags.push(flag);
}
