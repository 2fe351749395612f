// HTTP/1.x from clients (http1-server.ts) to the upstream over a keep-alive pool
// (upstream-pool.ts): one RequestRecord per request (timings, sizes, status, error kind),
// x-request-id when missing, x-forwarded-*, proxy errors answered as 502/503/504 with
// `x-outrigger-error`, WebSocket upgrades passed through http-proxy-3.
import { Agent, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { classifyError, ERROR_KINDS, OutriggerError, type ErrorKind } from '@outrigger/telemetry';
import type { MeshTlsOptions } from '../mesh-dialer.ts';
import type { ConnectionRecord, RequestRecord } from '../record.ts';
import { Http1Connection, type Http1Handlers, type Http1Request, type Http1Response } from './http1-server.ts';
import { createUpstreamPool, type UpstreamCall, type UpstreamHandler } from './upstream-pool.ts';

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
/** Left out of a response beyond what writeHead leaves out itself (connection, keep-alive, transfer-encoding). */
const RESPONSE_DROPPED: ReadonlySet<string> = new Set(['proxy-connection']);
const REQUEST_DROPPED: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'transfer-encoding', 'upgrade', 'expect', 'te']);
/** Methods whose request without a body still says so (`content-length: 0`), as undici and node's client do. */
const EXPECTS_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);
/** Characters a request target may not hold (undici's rule; the parser already refuses most). */
const INVALID_TARGET = /[^\u0021-\u00ff]/;
/** Set by the proxy for the app (inbound): a client's own values are replaced (x-forwarded-for is appended to). */
const FORWARDED_SET: ReadonlySet<string> = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-port']);
/** Idle keep-alive to clients: longer than common client pools and load balancers (60 s). */
const KEEP_ALIVE_MS = 65_000;
/** At a drain, idle keep-alive connections stay open this long for a last request (answered with `Connection: close`). */
export const IDLE_DRAIN_GRACE_MS = 1_000;

/** What the forwarder keeps per client connection. */
interface ClientConnection {
  readonly http: Http1Connection;
  readonly record: ConnectionRecord;
  /** x-forwarded-for/-port/-proto values for this connection's client, computed at its first request. */
  forwardedFor: string | null;
  forwardedPort: string;
  forwardedProto: string;
}

/** Header names a Connection header lists beyond its usual tokens (close, keep-alive, upgrade). */
function listedInConnection(connection: string | string[] | undefined): string[] {
  if (connection === undefined) return [];
  return (Array.isArray(connection) ? connection.join(',') : connection)
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade');
}

export function createHttpForwarder(upstream: HttpUpstream): HttpForwarder {
  const hostForUrl = upstream.host.includes(':') ? `[${upstream.host}]` : upstream.host;
  const upstreamHost = `${hostForUrl}:${upstream.port}`;
  // Reused connections to the app (or the peer's sidecar); the app's own keep-alive timeout (node:
  // 5 s) closes idle ones, and the pool honours its `Keep-Alive: timeout` hint less a margin so a
  // closing connection is not reused (upstream-pool.ts).
  const pool = createUpstreamPool({ host: upstream.host, port: upstream.port, tls: upstream.tls, connectTimeoutMs: upstream.connectTimeoutMs, responseTimeoutMs: upstream.responseTimeoutMs });
  // WebSocket upgrades go through http-proxy-3 on connections of their own (never pooled).
  const agent = upstream.tls ? meshAgent(upstream.tls) : new Agent({ keepAlive: false });
  const scheme = upstream.tls ? 'https' : 'http';
  const proxy = createProxyServer({ target: `${scheme}://${upstreamHost}`, agent, xfwd: false, ws: true, secure: true, connectTimeout: upstream.connectTimeoutMs });
  // WebSocket upgrades only: the client went away while the upgrade was in flight.
  proxy.on('econnreset', () => {});
  const connections = new Map<Http1Connection, ClientConnection>();
  let draining = false;
  const http1Options = { maxHeaderBytes: upstream.maxHeaderBytes, headersTimeoutMs: upstream.headersTimeoutMs, keepAliveMs: KEEP_ALIVE_MS, now: upstream.now };

  /**
   * A request the HTTP server answered itself before its headers were complete (431, 400, 408): it
   * never reached `request`, and still gets its access-log line and its count, with what is known of
   * it (method, path and authority are not, until the headers are complete).
   */
  function refused(conn: ClientConnection, status: number, kind: ErrorKind): void {
    unserved(conn, null, conn.http.requestBegunAt ?? conn.record.startedAt, kind, status);
  }

  /** A request that never went upstream: counted on its connection and ended at once with its kind (and the status sent, if any). */
  function unserved(conn: ClientConnection, req: Http1Request | null, startedAt: number, kind: ErrorKind, status = 0): void {
    conn.record.requests++;
    const request = newRequest(conn.record, req, startedAt);
    request.responseCode = status;
    markError(request, kind);
    upstream.onRequestEnd(request);
  }

  const handlers: Http1Handlers = {
    request(http, req, res) {
      const conn = connections.get(http);
      if (!conn) return res.destroy();
      const connection = conn.record;
      connection.requests++;
      const request = newRequest(connection, req, upstream.now());
      let exchange: Exchange | null = null;
      res.done = (complete) => {
        request.responseCode = res.statusCode;
        if (!complete) {
          request.error ??= 'downstream_aborted';
          addFlag(request, ERROR_KINDS.downstream_aborted.flag);
          request.responseCode = res.headersSent ? res.statusCode : 0;
        }
        upstream.onRequestEnd(request);
        if (!complete) exchange?.abandon();
      };
      if (connection.denied) {
        // The connection's peer is not on the port's allow-list: answer, never forward.
        return localReply(res, request, 403, 'authz_denied', `${connection.peerIdentity ?? 'a peer without a mesh identity'} may not call this port (${connection.denied})`);
      }
      if (req.expect !== undefined && req.expect.toLowerCase() !== '100-continue') {
        // RFC 9110 10.1.1: an expectation the proxy cannot meet gets 417 (as node's server did).
        res.closeAfter = true;
        return localReply(res, request, 417, 'bad_request', `unsupported Expect: ${req.expect}`);
      }
      if (req.hostCount > 1) {
        // RFC 9112 3.2: more than one Host is a bad request (undici would refuse it too).
        return badRequest(res, request, 'more than one Host header');
      }
      exchange = forward(req, res, request, conn);
    },
    upgrade(http, req, head) {
      const conn = connections.get(http);
      const socket = http.socket;
      socket.on('error', () => {});
      proxy.ws(upgradeRequest(req, socket), socket, head, {}, (err) => {
        if (conn) conn.record.error ??= classifyError(err, 'upstream');
        socket.destroy();
      });
    },
    parseError(http, err) {
      // Malformed requests and oversized headers: answered and closed.
      const kind = classifyError(err, 'downstream');
      const status = kind === 'downstream_aborted' ? 0 : ERROR_KINDS[kind].httpStatus;
      const conn = connections.get(http);
      if (conn) {
        conn.record.error ??= kind;
        // With a response in progress the error ends that request (its line says so); else the server answers `status`.
        if (!http.current && status) refused(conn, status, kind);
      }
      return { status, kind };
    },
    abandoned(http, req) {
      // Pipelined behind a request in progress when the client closed: never sent upstream.
      const conn = connections.get(http);
      if (conn) unserved(conn, req, upstream.now(), 'downstream_aborted');
    },
    headerTimeout(http) {
      const socket = http.socket;
      const conn = connections.get(http);
      if (conn) conn.record.error ??= 'request_header_timeout';
      if (socket.writable) {
        socket.end('HTTP/1.1 408 Request Timeout\r\nconnection: close\r\nx-outrigger-error: request_header_timeout\r\ncontent-length: 0\r\n\r\n');
        if (conn) refused(conn, 408, 'request_header_timeout');
      }
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  };

  /**
   * One request to the upstream on the pool; its answer is written to `res` as it arrives.
   * Returns the exchange, to abandon if the client goes away before the response is complete.
   */
  function forward(req: Http1Request, res: Http1Response, request: RequestRecord, conn: ClientConnection): Exchange | null {
    // A target neither origin-form nor absolute-form (`OPTIONS *`, authority-form): not sent.
    const target = req.url;
    if ((target.charCodeAt(0) !== 47 /* / */ && !/^https?:\/\//i.test(target)) || INVALID_TARGET.test(target)) {
      badRequest(res, request, `the request target must be a path or an absolute http(s) URL: ${JSON.stringify(target.slice(0, 100))}`);
      return null;
    }
    const exchange = new Exchange(res, request, upstream.now, upstream.tls !== undefined);
    request.upstreamStartedAt = upstream.now();
    const head = requestHead(req, request.requestId, upstream.forwardedHeaders ? conn : null, upstreamHost);
    exchange.call = pool.dispatch({ method: req.method, head, body: req.body, bodyLength: req.bodyLength }, exchange);
    return exchange;
  }

  return {
    serve(socket, record) {
      record.protocol = 'http/1.1';
      record.upstreamHost = upstreamHost;
      const http = new Http1Connection(socket, http1Options, handlers);
      const secure = (socket as Duplex & { encrypted?: boolean }).encrypted === true;
      connections.set(http, { http, record, forwardedFor: null, forwardedPort: '', forwardedProto: secure && !record.meshHop ? 'https' : 'http' });
      socket.once('close', () => connections.delete(http));
      http.start(); // after the map entry: buffered bytes may hold a request, handled at once
      if (draining) http.close();
    },
    drain() {
      draining = true;
      // A busy connection closes after its response, which says so: its client will not reuse it.
      for (const { http } of connections.values()) http.drain();
      // An idle one may be in a client's hands this instant (a keep-alive pool sends on it while our
      // FIN is in flight, and that request fails). During a short grace it is answered with
      // `Connection: close` instead; those still idle afterwards are closed.
      const closeIdle = () => {
        for (const { http } of connections.values()) http.close();
      };
      setTimeout(closeIdle, IDLE_DRAIN_GRACE_MS).unref();
    },
    close() {
      for (const { http } of connections.values()) http.socket.destroy();
      pool.destroy();
      agent.destroy();
      proxy.close();
    },
  };
}

/** One request on its way to the upstream and back: the pool's handler for it (a class, not a fresh object of closures per request). */
class Exchange implements UpstreamHandler {
  call: UpstreamCall | null = null;
  #clientGone = false;
  #responded = false;
  readonly #res: Http1Response;
  readonly #request: RequestRecord;
  readonly #now: () => number;
  /** Mesh mTLS upstream: the request record takes the peer identity of the connection used. */
  readonly meshed: boolean;

  constructor(res: Http1Response, request: RequestRecord, now: () => number, meshed: boolean) {
    this.#res = res;
    this.#request = request;
    this.#now = now;
    this.meshed = meshed;
  }

  /** The client went away before the response was complete: stop the upstream request. */
  abandon(): void {
    this.#clientGone = true;
    this.call?.abort(new OutriggerError('downstream_aborted'));
  }

  onBodySent(bytes: number): void {
    this.#request.bytesReceived += bytes;
  }

  onResponseStart(status: number, reason: string, rawHeaders: string[], peerIdentity: string | null): void {
    this.#responded = true;
    const request = this.#request;
    request.upstreamHeadersAt = this.#now();
    if (this.meshed) request.connection.peerIdentity = peerIdentity;
    if (this.#clientGone) return;
    // The app's `Connection`/`Keep-Alive` describe its hop to us; the client's is ours to say
    // (http1-server.ts, honouring the client's own `Connection: close`), and so is the framing:
    // writeHead leaves those out. Headers the app's Connection names, and Proxy-Connection, too.
    this.#res.writeHead(status, reason, rawHeaders, responseDropped(rawHeaders));
  }

  onResponseData(chunk: Buffer): boolean {
    this.#request.bytesSent += chunk.length;
    if (this.#clientGone) return true;
    if (this.#res.write(chunk)) return true;
    this.#res.drained = () => {
      this.#res.drained = null;
      this.call?.resume();
    };
    return false;
  }

  onResponseEnd(): void {
    this.#res.end();
  }

  onResponseError(err: Error): void {
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

/** Response headers to leave out beyond writeHead's own: Proxy-Connection and those the app's Connection names (a set only when there are any). */
function responseDropped(raw: readonly string[]): ReadonlySet<string> | null {
  let dropped: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 10 && name.length !== 16) continue;
    const lower = name.toLowerCase();
    if (lower === 'proxy-connection') dropped ??= new Set(RESPONSE_DROPPED);
    else if (lower === 'connection') {
      const listed = listedInConnection(raw[i + 1]);
      if (listed.length > 0) {
        dropped ??= new Set(RESPONSE_DROPPED);
        for (const h of listed) dropped.add(h);
      }
    }
  }
  return dropped;
}

/**
 * The proxy's own answer: `status` with the error kind in `x-outrigger-error` and a one-line body,
 * counted in the request's bytes_sent like any response body.
 */
function localReply(res: Http1Response, request: RequestRecord, status: number, kind: ErrorKind, why: string): void {
  markError(request, kind);
  const body = `outrigger: ${kind}: ${why}\n`;
  request.bytesSent += Buffer.byteLength(body);
  res.writeHead(status, undefined, ['content-type', 'text/plain; charset=utf-8', 'x-outrigger-error', kind]);
  res.end(body);
}

function badRequest(res: Http1Response, request: RequestRecord, why: string): void {
  res.closeAfter = true;
  localReply(res, request, 400, 'bad_request', why);
}

function answerError(res: Http1Response, request: RequestRecord, err: Error): void {
  const kind: ErrorKind = request.connection.error === 'downstream_aborted' ? 'downstream_aborted' : classifyError(err, 'upstream');
  const status = ERROR_KINDS[kind].httpStatus;
  if (res.headersSent || !status) {
    markError(request, kind);
    res.destroy();
    return;
  }
  localReply(res, request, status, kind, ERROR_KINDS[kind].description);
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
 * The request's head for the upstream: its request line (HTTP/1.1) and the client's headers in
 * the client's order, duplicates kept, less hop-by-hop ones (its `Connection: close` forwarded
 * would defeat the pool) and those whose framing the pool redoes (transfer-encoding; expect,
 * answered here with 100 Continue); Host when the client sent none (HTTP/1.0); x-request-id when
 * missing and, inbound, x-forwarded-*; then the framing and `connection: keep-alive`.
 */
function requestHead(req: Http1Request, requestId: string, forwarded: ClientConnection | null, upstreamHost: string): string {
  const listed = listedInConnection(req.connectionHeader);
  const dropped = listed.length === 0 ? REQUEST_DROPPED : new Set([...REQUEST_DROPPED, ...listed]);
  const raw = req.rawHeaders;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  let forwardedHost = false;
  let length = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (dropped.has(lower)) continue;
    if (lower === 'content-length') {
      // A chunked body goes out chunked; its Content-Length (the parser refuses both) is not sent.
      if (req.body !== null && req.bodyLength === null) continue;
      length = true;
    } else if (forwarded) {
      if (FORWARDED_SET.has(lower)) continue;
      if (lower === 'x-forwarded-host') forwardedHost = true;
    }
    head += name + ': ' + raw[i + 1]! + '\r\n';
  }
  if (req.host === undefined) head += `host: ${upstreamHost}\r\n`;
  if (req.requestId === undefined) head += `x-request-id: ${requestId}\r\n`;
  if (forwarded) head += forwardedHeaders(req, forwarded, forwardedHost);
  if (req.body !== null && req.bodyLength === null) head += 'transfer-encoding: chunked\r\n';
  else if (req.body === null && !length && EXPECTS_BODY.has(req.method)) head += 'content-length: 0\r\n';
  return head + 'connection: keep-alive\r\n\r\n';
}

/** The record of a request; `req` null for one refused before its headers were complete. */
function newRequest(connection: ConnectionRecord, req: Http1Request | null, now: number): RequestRecord {
  return {
    connection,
    startedAt: now,
    method: req ? req.method : null,
    path: req ? req.url : null,
    authority: req ? (req.host ?? '') : null,
    protocol: req ? `http/${req.httpVersion}` : 'http/1.1',
    requestId: req?.requestId || randomUUID(),
    userAgent: req?.userAgent ?? null,
    xForwardedFor: req?.forwardedFor ?? null,
    responseCode: 0,
    bytesReceived: 0,
    bytesSent: 0,
    upstreamStartedAt: null,
    upstreamHeadersAt: null,
    error: null,
    responseFlags: [],
  };
}

/** x-forwarded-for (appended), -proto, -port and -host header lines, as nginx and Envoy set them for the app. */
function forwardedHeaders(req: Http1Request, conn: ClientConnection, hasForwardedHost: boolean): string {
  if (conn.forwardedFor === null) {
    const socket = conn.http.socket as Duplex & { remoteAddress?: string; localPort?: number };
    conn.forwardedFor = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    conn.forwardedPort = String(socket.localPort ?? '');
  }
  const client = conn.forwardedFor;
  // A mesh hop is the sidecars' TLS: the client itself spoke plain http (forwardedProto).
  let lines = `x-forwarded-for: ${req.forwardedFor ? `${req.forwardedFor}, ${client}` : client}\r\nx-forwarded-proto: ${conn.forwardedProto}\r\nx-forwarded-port: ${conn.forwardedPort}\r\n`;
  if (req.host && !hasForwardedHost) lines += `x-forwarded-host: ${req.host}\r\n`;
  return lines;
}

/** What http-proxy-3 reads of an upgrade request, in node's IncomingMessage shape. */
function upgradeRequest(req: Http1Request, socket: Duplex): IncomingMessage {
  const headers: IncomingHttpHeaders = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const prior = headers[name];
    headers[name] = prior === undefined ? raw[i + 1]! : `${String(prior)}, ${raw[i + 1]!}`;
  }
  return { method: req.method, url: req.url, headers, rawHeaders: [...raw], httpVersion: req.httpVersion, httpVersionMajor: 1, httpVersionMinor: req.httpVersion === '1.0' ? 0 : 1, socket, connection: socket } as unknown as IncomingMessage;
}

/** The request failed with `kind`: its error and that kind's flag. */
function markError(request: RequestRecord, kind: ErrorKind): void {
  request.error = kind;
  addFlag(request, ERROR_KINDS[kind].flag);
}

function addFlag(request: RequestRecord, flag: string): void {
  if (flag !== '-' && !request.responseFlags.includes(flag)) request.responseFlags.push(flag);
}
