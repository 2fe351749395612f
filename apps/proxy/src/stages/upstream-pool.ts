// The upstream side of the L7 path: HTTP/1.1 requests to the app, or over mesh mTLS to a peer's
// inbound sidecar, on kept-alive connections this module opens itself; responses parsed by node's
// own llhttp binding (the parser node's http client uses). One request at a time per connection
// (no pipelining), as many connections as requests in flight, idle ones reused last-in first-out.
//
// It replaced undici's Pool (bench/RESULTS.md): the request head is written as the forwarder built
// it from the client's raw headers (already checked by the server's parser), and the response's
// raw headers go to the client's response as they came, with no header objects either way.
//
// Each connection remembers the SPIFFE ID its peer presented, so a response can say which peer
// answered it (a ClusterIP can spread one pool over several pods).
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import type { Readable } from 'node:stream';
import { peerIdentityFromSubjectAltName } from '@outrigger/pki/read';
import { classifyError, OutriggerError } from '@outrigger/telemetry';
import type { MeshTlsOptions } from '../mesh-dialer.ts';
import { ParserPool, RESPONSE, type Parser } from './llhttp.ts';

export interface UpstreamPoolOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** No byte from the upstream for this long while a request is in flight (its body still being sent included): upstream_timeout. */
  responseTimeoutMs: number;
  /** Mesh mTLS options, read per new connection; absent: plaintext. */
  tls?: () => MeshTlsOptions;
}

export interface UpstreamRequest {
  method: string;
  /** Request line and header lines, blank line included, as written (latin1). */
  head: string;
  /** The request body, or null. */
  body: Readable | null;
  /** The body's length as the head declares it (Content-Length); null with a body: the head says chunked. */
  bodyLength: number | null;
}

/** What a request's sender hears back; every call comes once at most, and after an error nothing follows. */
export interface UpstreamHandler {
  /** Status line and headers ([name, value, ...] as received; 1xx responses are skipped); `peerIdentity` of the connection's peer (mesh), else null. */
  onResponseStart(status: number, reason: string, rawHeaders: string[], peerIdentity: string | null): void;
  /** A piece of the response body. Return false to stop reading from the upstream until `resume()`. */
  onResponseData(chunk: Buffer): boolean;
  onResponseEnd(): void;
  /** The request failed (before or during the response); the error's kind says why (classifyError). */
  onResponseError(err: Error): void;
  /** Bytes of the request body written to the upstream. */
  onBodySent(bytes: number): void;
}

/** A request in flight. */
export interface UpstreamCall {
  /** Stop it: its connection is closed and the handler's onResponseError gets `err` (unless it is over). */
  abort(err: Error): void;
  /** Read from the upstream again after onResponseData returned false. */
  resume(): void;
}

export interface UpstreamPool {
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): UpstreamCall;
  destroy(): void;
}

/**
 * Idle connections close after the upstream's `Keep-Alive: timeout` hint less this margin, or after
 * IDLE_DEFAULT_MS without a hint (node's agent: hint less 1 s; an app on node's defaults closes
 * after 5 s), and at most after IDLE_MAX_MS. A hint of 1 s or less: the connection is not reused.
 */
const IDLE_DEFAULT_MS = 4_000;
const IDLE_HINT_MARGIN_MS = 1_000;
const IDLE_MAX_MS = 600_000;
/** Idle connections kept per upstream at most; past it the one idle longest is closed (node's https agent in the mesh's WebSocket path keeps as many). */
export const MAX_IDLE_CONNECTIONS = 64;
/** Response headers larger than this: upstream_protocol_error (node's and undici's default). */
export const MAX_RESPONSE_HEADER_BYTES = 16 * 1024;

let lastHint = '';
let lastHintMs: number | null = null;
/** Idle time a `Keep-Alive` value allows (its timeout less the margin, capped), null without a timeout; an app sends the same value every time, so the last one is remembered. */
function idleFromHint(value: string): number | null {
  if (value !== lastHint) {
    const hint = /timeout\s*=\s*(\d+)/i.exec(value);
    lastHint = value;
    lastHintMs = hint ? Math.min(Number(hint[1]) * 1000 - IDLE_HINT_MARGIN_MS, IDLE_MAX_MS) : null;
  }
  return lastHintMs;
}

/** A socket's native handle, as far as parsing from it goes. */
interface StreamHandle {
  readStart(): number;
  readStop(): number;
  isStreamBase?: boolean;
  _consumed?: boolean;
}

/** Response parsers, with the callbacks every connection shares (set in Connection's static block). */
let parsers: ParserPool<Connection>;

/** Methods a request of which may be sent twice (RFC 9110 9.2.2). */
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

class Call implements UpstreamCall {
  conn: Connection | null = null;
  over = false;
  /** Sent on a connection that had served a request before (so may have been closed by the app meanwhile). */
  reused = false;
  /** The final response's headers have arrived. */
  responded = false;
  retried = false;
  readonly pool: Pool;
  readonly request: UpstreamRequest;
  readonly handler: UpstreamHandler;

  constructor(pool: Pool, request: UpstreamRequest, handler: UpstreamHandler) {
    this.pool = pool;
    this.request = request;
    this.handler = handler;
  }

  abort(err: Error): void {
    this.fail(err);
  }

  resume(): void {
    if (!this.over) this.conn?.setPaused(false);
  }

  /** Ends the call with an error (or sends it again, see mayRetry); its connection (if any) cannot be reused. */
  fail(err: Error): void {
    if (this.over) return;
    const conn = this.conn;
    this.conn = null;
    if (conn) {
      conn.call = null;
      conn.socket.destroy();
    }
    if (this.#mayRetry(err)) {
      this.retried = true;
      this.pool.retry(this);
      return;
    }
    this.over = true;
    this.handler.onResponseError(err);
  }

  /**
   * A kept-alive connection the app closed while this request was on its way (the app's idle
   * timeout and our reuse crossed): an idempotent request without a body, not answered at all, is
   * sent once more on a new connection, as nginx's `proxy_next_upstream error` does.
   */
  #mayRetry(err: Error): boolean {
    return this.reused && !this.retried && !this.responded && this.request.body === null && IDEMPOTENT.has(this.request.method) && classifyError(err, 'upstream') === 'upstream_reset';
  }
}

/** One connection to the upstream and its parser. */
class Connection {
  readonly socket: Socket | TLSSocket;
  readonly pool: Pool;
  call: Call | null = null;
  peerIdentity: string | null = null;
  connected = false;
  #parser: Parser<Connection> | null;
  /** The socket's handle, when the parser reads from it (in C++, as the server side does). */
  #handle: StreamHandle | null = null;
  #paused = false;
  #headers: string[] = [];
  /** The response being parsed is a 1xx: skipped. */
  #informational = false;
  #keepAlive = false;
  /** The request body has been written whole (or there was none). */
  #bodyDone = true;
  #idleMs = IDLE_DEFAULT_MS;
  /** Requests answered on this connection. */
  #served = 0;
  #idleTimer: NodeJS.Timeout | null = null;
  #idleTimerMs = 0;
  #responseTimer: NodeJS.Timeout | null = null;
  #connectTimer: NodeJS.Timeout | null;

  static {
    // llhttp calls these with the parser as `this`: one set of functions serves every connection.
    function onHeaders(this: Parser<Connection>, headers: string[]): void {
      const c = this.connection;
      if (c) for (const h of headers) c.#headers.push(h);
    }
    function onHeadersComplete(this: Parser<Connection>, _major: number, _minor: number, headers: string[] | undefined, _method: unknown, _url: unknown, status: number, reason: string, _upgrade: boolean, keepAlive: boolean): number {
      return this.connection ? this.connection.#headersComplete(headers, status, reason, keepAlive) : 1;
    }
    function onBody(this: Parser<Connection>, chunk: Buffer): void {
      const c = this.connection;
      const call = c?.call;
      if (!call) return;
      c!.#responseTimer?.refresh();
      if (!call.handler.onResponseData(chunk) && c!.call === call) c!.setPaused(true);
    }
    function onMessageComplete(this: Parser<Connection>): void {
      const c = this.connection;
      if (c) c.#messageComplete();
    }
    function onExecute(this: Parser<Connection>, ret: number | Error): void {
      const c = this.connection;
      if (c && ret instanceof Error) c.#parseFailed(ret);
    }
    parsers = new ParserPool<Connection>(RESPONSE, { onHeaders, onHeadersComplete, onBody, onMessageComplete, onExecute });
  }

  constructor(pool: Pool, socket: Socket | TLSSocket) {
    this.pool = pool;
    this.socket = socket;
    this.#parser = parsers.take(this, MAX_RESPONSE_HEADER_BYTES);
    this.#connectTimer = setTimeout(() => {
      const { host, port, connectTimeoutMs } = pool.options;
      socket.destroy(new OutriggerError('upstream_connect_timeout', `no connection to ${host}:${port} within ${connectTimeoutMs} ms`));
    }, pool.options.connectTimeoutMs).unref();
    socket.on('end', () => this.#ended());
    socket.on('error', (err) => this.call?.fail(err));
    socket.once('close', () => this.#closed());
  }

  /** The connection is up (TCP connected, or the mesh handshake done): send what waits. */
  ready(): void {
    this.connected = true;
    this.#startReading();
    clearTimeout(this.#connectTimer!);
    this.#connectTimer = null;
    if (this.call) this.send(this.call);
  }

  /** Writes the request (head now, body as it comes). */
  send(call: Call): void {
    this.call = call;
    call.conn = this;
    call.reused = this.#served > 0;
    if (!this.connected) return;
    const { request } = call;
    const socket = this.socket;
    if (this.#responseTimer) this.#responseTimer.refresh();
    else this.#responseTimer = setTimeout(() => this.#responseTimeout(), this.pool.options.responseTimeoutMs).unref();
    socket.write(request.head, 'latin1');
    this.#bodyDone = request.body === null;
    if (request.body) this.#sendBody(call, request.body, request.bodyLength);
  }

  #sendBody(call: Call, body: Readable, length: number | null): void {
    const socket = this.socket;
    let sent = 0;
    let waiting = false;
    const onDrain = () => {
      waiting = false;
      body.resume();
    };
    const onData = (chunk: Buffer) => {
      if (call.over || this.call !== call) return;
      sent += chunk.length;
      call.handler.onBodySent(chunk.length);
      this.#responseTimer?.refresh();
      let ok: boolean;
      if (length === null) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
        socket.write(chunk);
        ok = socket.write('\r\n', 'latin1');
        socket.uncork();
      } else ok = socket.write(chunk);
      if (!ok && !waiting) {
        waiting = true;
        body.pause();
        socket.once('drain', onDrain);
      }
    };
    const finished = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('close', onClose);
      socket.off('drain', onDrain);
    };
    const onEnd = () => {
      finished();
      if (call.over || this.call !== call) return;
      if (length !== null && sent !== length) return call.fail(new OutriggerError('downstream_aborted', `the client's request body ended after ${sent} of ${length} bytes`));
      if (length === null) socket.write('0\r\n\r\n', 'latin1');
      this.#bodyDone = true;
    };
    const onError = (err: Error) => {
      finished();
      call.fail(err);
    };
    const onClose = () => {
      finished();
      // Closed unread: the response is already done (the server discards the rest), or the client left.
      call.fail(new OutriggerError('downstream_aborted', 'the client went away before its request body was complete'));
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
    body.once('close', onClose);
  }

  #headersComplete(headers: string[] | undefined, status: number, reason: string, keepAlive: boolean): number {
    const call = this.call;
    if (!headers) {
      headers = this.#headers;
      this.#headers = [];
    }
    if (status < 200) {
      if (status === 101 && call) call.fail(new OutriggerError('upstream_protocol_error', 'the upstream switched protocols on a request that did not ask to'));
      this.#informational = true; // 100 Continue, 103 Early Hints: the real response follows
      return 0;
    }
    if (!call) {
      // Bytes nobody asked for: the connection is unusable.
      this.socket.destroy();
      return 1;
    }
    this.#keepAlive = keepAlive;
    this.#idleMs = IDLE_DEFAULT_MS;
    if (keepAlive) {
      for (let i = 0; i < headers.length; i += 2) {
        const name = headers[i]!;
        if (name.length === 10 && name.toLowerCase() === 'keep-alive') {
          const ms = idleFromHint(headers[i + 1]!);
          if (ms === null) continue;
          if (ms <= 0) this.#keepAlive = false;
          else this.#idleMs = ms;
        }
      }
    }
    this.#responseTimer?.refresh();
    call.responded = true;
    call.handler.onResponseStart(status, reason, headers, this.peerIdentity);
    // HEAD: headers only, whatever Content-Length says.
    return call.request.method === 'HEAD' ? 1 : 0;
  }

  #messageComplete(): void {
    if (this.#informational) {
      this.#informational = false;
      return;
    }
    const call = this.call;
    if (!call) return;
    call.over = true;
    call.conn = null;
    this.call = null;
    this.#served++;
    // Reused only if the upstream keeps it alive and our request went out whole (an app may
    // answer before reading all of an upload).
    if (this.#keepAlive && this.#bodyDone && !this.socket.destroyed) this.#idle();
    else this.socket.destroy();
    call.handler.onResponseEnd();
  }

  #idle(): void {
    this.setPaused(false); // if the last body chunk paused it
    // One timer per connection, re-armed (a timer that already fired while the connection was busy re-arms too).
    if (this.#idleTimer && this.#idleTimerMs === this.#idleMs) this.#idleTimer.refresh();
    else {
      if (this.#idleTimer) clearTimeout(this.#idleTimer);
      this.#idleTimerMs = this.#idleMs;
      this.#idleTimer = setTimeout(() => {
        if (!this.call) this.socket.destroy();
      }, this.#idleMs).unref();
    }
    const idle = this.pool.idle;
    idle.push(this);
    if (idle.length > MAX_IDLE_CONNECTIONS) idle.shift()!.socket.destroy();
  }

  /**
   * Responses are parsed straight from the socket's handle (bytes the stream already holds
   * first); a socket without a handle of its own is read through 'data' events.
   */
  #startReading(): void {
    const socket = this.socket;
    const parser = this.#parser;
    const handle = (socket as Socket & { _handle?: StreamHandle })._handle;
    if (parser && handle?.isStreamBase && !handle._consumed && socket.readableFlowing !== true) {
      const buffered: Buffer[] = [];
      for (let chunk: Buffer | null = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) buffered.push(chunk);
      handle._consumed = true;
      this.#handle = handle;
      parser.consume(handle);
      for (const chunk of buffered) this.#data(chunk);
    } else socket.on('data', (chunk: Buffer) => this.#data(chunk));
    socket.resume();
  }

  /** Stop or restart reading from the upstream (a slow client's back-pressure). */
  setPaused(paused: boolean): void {
    if (paused === this.#paused) return;
    this.#paused = paused;
    if (this.#handle) void (paused ? this.#handle.readStop() : this.#handle.readStart());
    else if (paused) this.socket.pause();
    else this.socket.resume();
  }

  #data(chunk: Buffer): void {
    const ret = this.#parser?.execute(chunk);
    if (ret instanceof Error) this.#parseFailed(ret);
  }

  #parseFailed(err: Error): void {
    const call = this.call;
    this.socket.destroy();
    call?.fail(err);
  }

  #responseTimeout(): void {
    const call = this.call;
    if (!call || !this.connected) return;
    call.fail(new OutriggerError('upstream_timeout', `no byte from the upstream within ${this.pool.options.responseTimeoutMs} ms`));
  }

  /** The upstream's FIN: a response delimited by the close ends here; anything else in flight is cut. */
  #ended(): void {
    const parser = this.#parser;
    if (parser && this.call && this.connected) {
      // A close-delimited body ends here (its message completes); a cut one fails with the parser's reason.
      const ret = parser.finish();
      if (ret instanceof Error) this.call?.fail(new OutriggerError('upstream_reset', `the upstream closed the connection mid-response (${(ret as Error & { code?: string }).code ?? ret.message})`));
    }
    this.call?.fail(new OutriggerError('upstream_reset', 'the upstream closed the connection before its response was complete'));
    this.socket.destroy();
  }

  #closed(): void {
    clearTimeout(this.#connectTimer ?? undefined);
    clearTimeout(this.#idleTimer ?? undefined);
    clearTimeout(this.#responseTimer ?? undefined);
    this.pool.forget(this);
    this.call?.fail(new OutriggerError('upstream_reset', this.connected ? 'the upstream closed the connection before its response was complete' : 'the upstream connection closed before it was up'));
    const parser = this.#parser;
    if (!parser) return;
    this.#parser = null;
    const handle = this.#handle;
    this.#handle = null;
    parsers.give(parser, handle);
  }
}

class Pool implements UpstreamPool {
  readonly options: UpstreamPoolOptions;
  /** Idle connections, the most recently used last. */
  readonly idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  #destroyed = false;

  constructor(options: UpstreamPoolOptions) {
    this.options = options;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): UpstreamCall {
    const call = new Call(this, request, handler);
    if (this.#destroyed) {
      queueMicrotask(() => call.fail(new OutriggerError('upstream_reset', 'the proxy is shutting down')));
      return call;
    }
    let conn = this.idle.pop();
    while (conn && conn.socket.destroyed) conn = this.idle.pop();
    if (conn) conn.send(call);
    else this.#open().send(call);
    return call;
  }

  /** A connection closed: no longer idle, nothing to close at destroy(). */
  forget(conn: Connection): void {
    this.#all.delete(conn);
    const at = this.idle.lastIndexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
  }

  /** A call whose connection was lost before any answer, sent again on a new connection. */
  retry(call: Call): void {
    if (this.#destroyed) return call.fail(new OutriggerError('upstream_reset', 'the proxy is shutting down'));
    this.#open().send(call);
  }

  destroy(): void {
    this.#destroyed = true;
    for (const conn of this.#all) conn.socket.destroy();
  }

  #open(): Connection {
    const { host, port } = this.options;
    let conn: Connection;
    if (this.options.tls) {
      const tls = this.options.tls();
      const secure = connectTls({ ...tls, host, port });
      tls.keepSessions(secure);
      conn = new Connection(this, secure);
      secure.once('secureConnect', () => {
        // getPeerCertificate() builds the whole certificate object: once per connection.
        conn.peerIdentity = peerIdentityFromSubjectAltName(secure.getPeerCertificate().subjectaltname) ?? null;
        conn.ready();
      });
    } else {
      const socket = connectTcp({ host, port });
      conn = new Connection(this, socket);
      socket.once('connect', () => conn.ready());
    }
    conn.socket.setNoDelay(true);
    this.#all.add(conn);
    return conn;
  }
}

export function createUpstreamPool(options: UpstreamPoolOptions): UpstreamPool {
  return new Pool(options);
}
