// The client side of the L7 path: HTTP/1.x requests parsed by node's own llhttp binding (the parser
// node's http server uses), read straight from the socket's handle, and responses written to the
// socket as one corked write per piece. No IncomingMessage, ServerResponse or stream objects per
// request: node's server cost about 20 µs of CPU per request more than this (bench/RESULTS.md).
//
// One Http1Connection per client connection. Requests are answered in order, one at a time; a
// request pipelined behind the one in progress waits (and reading stops until it starts). What it
// does that node's server did for us: keep-alive and `Connection: close` (both directions), the
// HTTP/1.0 rules, `Expect: 100-continue`, response framing (the upstream's Content-Length, else
// chunked for HTTP/1.1 and close-delimited for HTTP/1.0; no body for HEAD, 1xx, 204, 304), a Date
// header when the upstream sent none, the header timer (slowloris), the keep-alive timeout, parse
// errors and oversized headers (answered, then closed), a client's half-close after its request,
// and upgrades (handed over with the bytes after the request head).
import { STATUS_CODES } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import { OutriggerError } from '@outrigger/telemetry';
import { methods, ParserPool, REQUEST, type Parser } from './llhttp.ts';

/**
 * Requests pipelined behind the one in progress that are parsed before reading stops. Reading on
 * (rather than stopping at the first) is what lets a client's reset be seen while it waits: with
 * reads stopped the kernel reports it only at the next write.
 */
const MAX_QUEUED = 4;
/** Request parsers, with the callbacks every connection shares (set in Http1Connection's static block). */
let parsers: ParserPool<Http1Connection>;

/** A parse failure: node's parser sets `code` (HPE_*), as node's server reported it in 'clientError'. */
export type ParseError = Error & { code?: string };

export interface Http1Request {
  readonly method: string;
  /** The request target as sent. */
  readonly url: string;
  readonly httpVersion: '1.0' | '1.1';
  /** Header names and values as received, in order: [name, value, name, value, ...]. */
  readonly rawHeaders: readonly string[];
  /** The request body, or null when the request has none. Reading it is flow-controlled. */
  readonly body: Readable | null;
  /** The body's Content-Length; null when the request has no body or a chunked one. */
  readonly bodyLength: number | null;
  /** Values the proxy reads (the first occurrence; several x-forwarded-for are joined with ", "). */
  readonly host: string | undefined;
  readonly hostCount: number;
  readonly requestId: string | undefined;
  readonly userAgent: string | undefined;
  readonly forwardedFor: string | undefined;
  readonly connectionHeader: string | undefined;
  readonly expect: string | undefined;
}

export interface Http1Options {
  maxHeaderBytes: number;
  /** The first request's headers must be complete within this time from the connection's start. */
  headersTimeoutMs: number;
  /** Idle between requests: the connection closes after this (a request begun by then gets 408). */
  keepAliveMs: number;
  /** The clock of `requestBegunAt` (the caller's, in ms). */
  now: () => number;
}

export interface Http1Handlers {
  /** A request to answer with `res`; the next one on the connection waits until `res` is done. */
  request(conn: Http1Connection, req: Http1Request, res: Http1Response): void;
  /** An upgrade request (WebSocket): the socket is the handler's from here, `head` holds the bytes after the request head. */
  upgrade(conn: Http1Connection, req: Http1Request, head: Buffer): void;
  /**
   * Invalid HTTP or oversized headers: the connection answers `status` naming `kind` (status 0: nothing), then closes.
   * With no response in progress (`conn.current` null) the request the error is in was never handed to `request`.
   */
  parseError(conn: Http1Connection, err: ParseError): { status: number; kind: string };
  /** The first request's headers, or a request begun after keep-alive, came too slowly: 408 and close. */
  headerTimeout(conn: Http1Connection): void;
  /** A request parsed but never started: the client closed while it waited behind another (pipelining). */
  abandoned(conn: Http1Connection, req: Http1Request): void;
}

let dateCache = '';
let dateSecond = -1;
/** The Date header, formatted once per second (as node's server does). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateCache = new Date(now).toUTCString();
  }
  return dateCache;
}

type Framing = 'none' | 'length' | 'chunked' | 'close';

/** One response; `done` reports once whether it was sent complete. */
export class Http1Response {
  statusCode = 0;
  headersSent = false;
  finished = false;
  /** Send `Connection: close` and close after this response (set before writeHead to take effect). */
  closeAfter: boolean;
  /** Called once when the response ends: complete (true) or cut short by the connection's end (false). */
  done: ((complete: boolean) => void) | null = null;
  /** Called when the socket drains after write() returned false. */
  drained: (() => void) | null = null;
  #framing: Framing = 'none';
  #head = '';
  readonly #conn: Http1Connection;
  readonly #req: Http1Request;

  constructor(conn: Http1Connection, req: Http1Request, closeAfter: boolean) {
    this.#conn = conn;
    this.#req = req;
    this.closeAfter = closeAfter;
  }

  /**
   * Status line and headers; written with the first body bytes (or at end()). `headers` as
   * [name, value, ...], names in any case, as the upstream sent them: its framing and hop-by-hop
   * headers (transfer-encoding, connection, keep-alive) are left out here, and those in `skip`
   * (lower case) too.
   */
  writeHead(status: number, reason: string | undefined, headers: readonly string[], skip: ReadonlySet<string> | null = null): void {
    if (this.headersSent) return;
    this.statusCode = status;
    this.headersSent = true;
    let head = `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || ''}\r\n`;
    let length = false;
    let date = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      // The names looked at differ in length; only those are lower-cased to compare.
      switch (name.length) {
        case 4:
          if (!date && name.toLowerCase() === 'date') date = true;
          break;
        case 10: {
          const lower = name.toLowerCase();
          if (lower === 'connection' || lower === 'keep-alive') continue;
          break;
        }
        case 14:
          if (!length && name.toLowerCase() === 'content-length') length = true;
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') continue;
          break;
      }
      if (skip !== null && skip.has(name.toLowerCase())) continue;
      head += name + ': ' + headers[i + 1]! + '\r\n';
    }
    if (!date) head += 'date: ' + httpDate() + '\r\n';
    const noBody = this.#req.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
    if (noBody) this.#framing = 'none';
    else if (length) this.#framing = 'length';
    else if (this.#req.httpVersion === '1.1') {
      this.#framing = 'chunked';
      head += 'transfer-encoding: chunked\r\n';
    } else {
      this.#framing = 'close';
      this.closeAfter = true;
    }
    head += this.closeAfter ? 'connection: close\r\n\r\n' : `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(this.#conn.keepAliveMs / 1000)}\r\n\r\n`;
    this.#head = head;
  }

  /** False when the socket's buffer is full: wait for `drained`. */
  write(chunk: Buffer): boolean {
    if (this.finished || chunk.length === 0) return true;
    const socket = this.#conn.socket;
    if (!socket.writable) return true;
    if (this.#framing === 'none') return true;
    socket.cork();
    if (this.#head) {
      socket.write(this.#head, 'latin1');
      this.#head = '';
    }
    let ok: boolean;
    if (this.#framing === 'chunked') {
      socket.write(chunk.length.toString(16) + '\r\n', 'latin1');
      socket.write(chunk);
      ok = socket.write('\r\n', 'latin1');
    } else ok = socket.write(chunk);
    socket.uncork();
    return ok;
  }

  end(body?: string): void {
    if (this.finished) return;
    if (body !== undefined && body.length > 0) this.write(Buffer.from(body));
    this.finished = true;
    const socket = this.#conn.socket;
    if (socket.writable) {
      const tail = this.#framing === 'chunked' ? '0\r\n\r\n' : '';
      if (this.#head || tail) socket.write(this.#head + tail, 'latin1');
      this.#head = '';
    }
    this.#conn.responseEnded(this, true);
  }

  /** Cut the response short: the connection is closed (a truncated response must not look complete). */
  destroy(): void {
    if (this.finished) return;
    this.finished = true;
    this.#conn.responseEnded(this, false);
    this.#conn.socket.destroy();
  }
}

interface Parsing {
  req: Http1Request;
  body: Readable | null;
  keepAlive: boolean;
}

/** HTTP/1.x on one client connection. */
export class Http1Connection {
  readonly socket: Duplex;
  readonly keepAliveMs: number;
  /** The response in progress. */
  current: Http1Response | null = null;
  /** Close after the response in progress (or now, if idle): set by a drain. */
  closing = false;
  #parser: Parser<Http1Connection> | null;
  #handle: { readStart(): number; readStop(): number; _consumed?: boolean } | null = null;
  readonly #handlers: Http1Handlers;
  readonly #options: Http1Options;
  /** Requests parsed while another was in progress, in order. */
  readonly #queue: Parsing[] = [];
  #parsing: Parsing | null = null;
  #headers: string[] = [];
  #url = '';
  /** A request has begun arriving (between its first byte and its complete headers). */
  #inHeaders = false;
  #begunAt = 0;
  #timer: NodeJS.Timeout;
  #keptAlive = false;
  #bodyPaused = false;
  #queuePaused = false;
  #clientEnded = false;
  #upgrade: Parsing | null = null;

  static {
    // llhttp calls these with the parser as `this`: one set of functions serves every connection.
    function onMessageBegin(this: Parser<Http1Connection>): void {
      const c = this.connection;
      if (!c) return;
      c.#inHeaders = true;
      c.#begunAt = c.#options.now();
    }
    function onHeaders(this: Parser<Http1Connection>, headers: string[], url: string): void {
      const c = this.connection;
      if (!c) return;
      for (const h of headers) c.#headers.push(h);
      c.#url += url;
    }
    function onHeadersComplete(this: Parser<Http1Connection>, _major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, _s: unknown, _m: unknown, upgrade: boolean, keepAlive: boolean): number {
      return this.connection ? this.connection.#headersComplete(minor, headers, method, url, upgrade, keepAlive) : 0;
    }
    function onBody(this: Parser<Http1Connection>, chunk: Buffer): void {
      const c = this.connection;
      const body = c ? c.#parsing?.body : null;
      // A body nobody reads any more (its response is done, or the upstream gave up) is discarded.
      if (body && !body.destroyed && !body.push(chunk)) c!.#setPaused('body', true);
    }
    function onMessageComplete(this: Parser<Http1Connection>): void {
      const c = this.connection;
      if (!c) return;
      const body = c.#parsing?.body;
      if (body && !body.destroyed) body.push(null);
      c.#parsing = null;
    }
    function onExecute(this: Parser<Http1Connection>, ret: number | Error): void {
      if (this.connection) this.connection.#afterExecute(ret, null);
    }
    parsers = new ParserPool<Http1Connection>(REQUEST, { onMessageBegin, onHeaders, onHeadersComplete, onBody, onMessageComplete, onExecute });
  }

  /** When the request whose headers are arriving began (its first byte), on the options' clock; null between requests. */
  get requestBegunAt(): number | null {
    return this.#inHeaders ? this.#begunAt : null;
  }

  constructor(socket: Duplex, options: Http1Options, handlers: Http1Handlers) {
    this.socket = socket;
    this.keepAliveMs = options.keepAliveMs;
    this.#options = options;
    this.#handlers = handlers;
    this.#parser = parsers.take(this, options.maxHeaderBytes);
    // The first request's headers are due within the header timeout.
    this.#timer = setTimeout(() => this.#timeout(), options.headersTimeoutMs).unref();
    socket.on('drain', () => this.current?.drained?.());
    socket.on('end', () => this.#ended());
    socket.on('error', () => {}); // the 'close' that follows ends what is in progress
    socket.once('close', () => this.#closed());
  }

  /**
   * Starts reading requests: call once the caller is ready for its handlers to run (bytes already
   * buffered are parsed at once, so the first request can arrive before this returns).
   *
   * The socket is parsed straight from its handle (in C++, as node's server does). Bytes its stream
   * already holds come first: a TLS socket can have the first request decrypted and buffered by the
   * time its handshake is reported, and a socket that detection peeked at has those bytes put back.
   * A stream without a handle of its own (a test's Duplex) is read through 'data' events.
   */
  start(): void {
    const socket = this.socket;
    const parser = this.#parser;
    const handle = (socket as Duplex & { _handle?: { readStart(): number; readStop(): number; _consumed?: boolean; isStreamBase?: boolean } })._handle;
    if (parser && handle?.isStreamBase && !handle._consumed && socket.readableFlowing !== true) {
      const buffered: Buffer[] = [];
      for (let chunk: Buffer | null = socket.read(); chunk !== null; chunk = socket.read()) buffered.push(chunk);
      handle._consumed = true;
      this.#handle = handle;
      parser.consume(handle);
      for (const chunk of buffered) this.#execute(chunk);
    } else {
      socket.on('data', (chunk: Buffer) => this.#execute(chunk));
    }
    socket.resume();
  }

  /** Serve no more requests after those in progress: the response being made says `Connection: close` if it still can, and the connection closes after it. */
  drain(): void {
    this.closing = true;
    if (this.current && !this.current.headersSent) this.current.closeAfter = true;
  }

  /** Close once idle: at once if no request is in progress, else after its response. */
  close(): void {
    this.drain();
    if (!this.current && this.#queue.length === 0) this.#end();
  }

  #execute(chunk: Buffer): void {
    const parser = this.#parser;
    if (!parser) return;
    this.#afterExecute(parser.execute(chunk), chunk);
  }

  #afterExecute(ret: number | Error, chunk: Buffer | null): void {
    const parser = this.#parser;
    if (!parser) return;
    if (ret instanceof Error) return this.#parseError(ret);
    if (this.#upgrade) {
      const upgrade = this.#upgrade;
      this.#upgrade = null;
      const data = chunk ?? parser.getCurrentBuffer();
      const head = Buffer.from(data.subarray(ret));
      this.#release(true);
      this.socket.removeAllListeners('data');
      this.socket.removeAllListeners('drain');
      this.socket.removeAllListeners('end');
      clearTimeout(this.#timer);
      this.#handlers.upgrade(this, upgrade.req, head);
    }
  }

  #headersComplete(minor: number, headers: string[] | undefined, method: number, url: string | undefined, upgrade: boolean, keepAlive: boolean): number {
    // After release (a parse error, the response before a close) the parser may still run to the
    // end of the bytes it has: requests it finds there are not served.
    if (!this.#parser) return 0;
    if (!headers) {
      headers = this.#headers;
      this.#headers = [];
    }
    if (!url) {
      url = this.#url;
      this.#url = '';
    }
    this.#inHeaders = false;
    let host: string | undefined;
    let hostCount = 0;
    let requestId: string | undefined;
    let userAgent: string | undefined;
    let forwardedFor: string | undefined;
    let connectionHeader: string | undefined;
    let expect: string | undefined;
    let length: string | undefined;
    let chunked = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      // Most names the proxy reads differ in length or first letter; compare cheaply first.
      switch (name.length) {
        case 4:
          if (name.toLowerCase() === 'host') {
            hostCount++;
            host ??= value;
          }
          break;
        case 6:
          if (name.toLowerCase() === 'expect') expect ??= value;
          break;
        case 10:
          if (name.toLowerCase() === 'user-agent') userAgent ??= value;
          else if (name.toLowerCase() === 'connection') connectionHeader = connectionHeader === undefined ? value : `${connectionHeader}, ${value}`;
          break;
        case 12:
          if (name.toLowerCase() === 'x-request-id') requestId ??= value;
          break;
        case 14:
          if (name.toLowerCase() === 'content-length') length ??= value;
          break;
        case 15:
          if (name.toLowerCase() === 'x-forwarded-for') forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') chunked = true;
          break;
      }
    }
    const methodName = methods[method] ?? 'GET';
    const hasBody = !upgrade && (chunked || (length !== undefined && length !== '0'));
    const body = hasBody ? new Readable({ read: () => this.#setPaused('body', false) }) : null;
    const req: Http1Request = {
      method: methodName,
      url,
      httpVersion: minor === 0 ? '1.0' : '1.1',
      rawHeaders: headers,
      body,
      bodyLength: hasBody && !chunked ? Number(length) : null,
      host,
      hostCount,
      requestId,
      userAgent,
      forwardedFor,
      connectionHeader,
      expect,
    };
    const parsing: Parsing = { req, body, keepAlive };
    if (upgrade) {
      if (this.current || this.#queue.length) {
        this.socket.destroy(); // an upgrade pipelined behind a request: not served
        return 0;
      }
      this.#upgrade = parsing;
      return 0;
    }
    this.#parsing = body ? parsing : null;
    if (this.current) {
      this.#queue.push(parsing);
      if (this.#queue.length >= MAX_QUEUED) this.#setPaused('queue', true);
    } else this.#start(parsing);
    return 0;
  }

  #start(parsing: Parsing): void {
    const { req } = parsing;
    const closeAfter = this.closing || !parsing.keepAlive;
    const res = new Http1Response(this, req, closeAfter);
    this.current = res;
    // `Expect: 100-continue` is answered at once (the handler answers other expectations).
    if (req.httpVersion === '1.1' && req.expect?.toLowerCase() === '100-continue' && this.socket.writable) {
      this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    }
    this.#handlers.request(this, req, res);
  }

  /** Called by the response when it ends; starts the next request or waits for one. */
  responseEnded(res: Http1Response, complete: boolean): void {
    if (res !== this.current) return;
    this.current = null;
    // Answered before its body was all read (an error, a 403): the rest is read and discarded, so
    // the next request on the connection starts where it should.
    const unread = this.#parsing?.body;
    if (unread && this.#queue.length === 0) {
      unread.destroy();
      this.#setPaused('body', false);
    }
    const done = res.done;
    res.done = null;
    done?.(complete);
    if (!complete) return;
    if (res.closeAfter || (this.#clientEnded && this.#queue.length === 0)) {
      this.#end();
      return this.#release();
    }
    const next = this.#queue.shift();
    if (next) {
      if (this.#queue.length < MAX_QUEUED) this.#setPaused('queue', false);
      return this.#start(next);
    }
    if (this.closing) {
      this.#end();
      return this.#release();
    }
    // Idle: the next request must come (with complete headers) within the keep-alive timeout.
    if (this.#keptAlive) this.#timer.refresh();
    else {
      this.#keptAlive = true;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#timeout(), this.#options.keepAliveMs).unref();
    }
  }

  /** Our side's FIN, once (a second `end()` builds an ERR_STREAM_ALREADY_FINISHED, stack and all). */
  #end(): void {
    if (!this.socket.writableEnded) this.socket.end();
  }

  #timeout(): void {
    if (this.current || this.#queue.length || this.socket.destroyed) return;
    // Nothing begun after a response: the keep-alive timeout, closed quietly (as node's server did).
    if (this.#keptAlive && !this.#inHeaders) {
      this.#end();
      return this.#release();
    }
    this.#handlers.headerTimeout(this);
  }

  #parseError(err: ParseError): void {
    this.#release();
    const { status, kind } = this.#handlers.parseError(this, err);
    if (this.current) {
      // A request is in progress: it is answered, then the connection closes.
      if (!this.current.headersSent) this.current.closeAfter = true;
      return;
    }
    if (this.socket.writable && status) {
      this.socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\nx-outrigger-error: ${kind}\r\ncontent-length: 0\r\n\r\n`);
    } else this.socket.destroy();
  }

  /** The client half-closed: answer what it sent, then close. */
  #ended(): void {
    this.#clientEnded = true;
    const parser = this.#parser;
    if (parser && !this.#handle) parser.finish();
    if (this.#parsing?.body) this.#parsing.body.destroy(new OutriggerError('downstream_aborted', 'the client closed before the request body was complete'));
    if (this.current === null && this.#queue.length === 0) {
      this.#end();
      this.#release();
    }
  }

  #closed(): void {
    clearTimeout(this.#timer);
    this.#release();
    this.#parsing?.body?.destroy();
    const res = this.current;
    if (res && !res.finished) {
      res.finished = true;
      this.responseEnded(res, false);
    }
    // Requests waiting their turn are reported in order, so each still gets its access-log line.
    const queued = this.#queue.splice(0);
    for (const { req } of queued) this.#handlers.abandoned(this, req);
  }

  /** Reading stops while a request body is not being read, or while MAX_QUEUED requests wait their turn. */
  #setPaused(reason: 'body' | 'queue', paused: boolean): void {
    const wasPaused = this.#bodyPaused || this.#queuePaused;
    if (reason === 'body') this.#bodyPaused = paused;
    else this.#queuePaused = paused;
    const nowPaused = this.#bodyPaused || this.#queuePaused;
    if (nowPaused === wasPaused || !this.#parser) return;
    if (this.#handle) void (nowPaused ? this.#handle.readStop() : this.#handle.readStart());
    else if (nowPaused) this.socket.pause();
    else this.socket.resume();
  }

  /**
   * Done parsing: the socket reads through its stream again and the parser is closed. Inside a
   * parser callback the parser is still executing, so that waits for the next turn (callbacks that
   * fire meanwhile see no parser and do nothing); an upgrade, which continues on the stream at once,
   * releases at once (it runs after the parser's execute).
   */
  #release(now = false): void {
    const parser = this.#parser;
    if (!parser) return;
    this.#parser = null;
    const handle = this.#handle;
    this.#handle = null;
    parsers.give(parser, handle, now);
  }
}
