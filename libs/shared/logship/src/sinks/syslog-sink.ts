// Syslog over TCP (optionally TLS): RFC 5424 messages in RFC 6587 octet-counting frames.
// Plain TCP syslog has no acknowledgement, and bytes the kernel accepted are not bytes the server
// read: a server that stops drops what sits in its socket buffer. So a group of batches is
// confirmed by closing the connection: we send FIN, the server reads to that end-of-stream (every
// frame before it is taken) and closes its side. A clean close acknowledges every batch written on
// the connection; a reset, an error or a timeout sends them all again (at-least-once).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { prepareSyslog, renderSyslogFrames, type SyslogFormat } from '../render-syslog.ts';
import { classifySocketError, describeError } from './classify.ts';
import type { Batch, SendResult, Sink } from './sink.ts';

export interface SyslogSinkOptions {
  readonly host: string;
  readonly port: number;
  /** TLS options (ca, cert, key, servername...); undefined for plain TCP. */
  readonly tls?: ConnectionOptions;
  readonly format: SyslogFormat;
  readonly connectTimeoutMs: number;
  /** How long the server may take to read to the end of a connection and close it. */
  readonly confirmTimeoutMs: number;
  /** Bytes written on one connection before it is closed to confirm them, even while busy. */
  readonly confirmBytes: number;
  readonly now?: () => number;
}

interface Connection {
  readonly socket: Socket;
  readonly pending: Array<(result: SendResult) => void>;
  bytes: number;
  closing: boolean;
  peerEnded: boolean;
  settled: boolean;
  timer?: NodeJS.Timeout;
}

type Connected = { ok: true; conn: Connection } | { ok: false; result: SendResult };

export class SyslogSink implements Sink {
  readonly kind = 'syslog' as const;
  readonly #o: SyslogSinkOptions;
  readonly #prepared;
  readonly #open = new Set<Connection>();
  #current: Connection | undefined;
  #connecting: Promise<Connected> | undefined;
  #closed = false;

  constructor(opts: SyslogSinkOptions) {
    this.#o = opts;
    this.#prepared = prepareSyslog(opts.format);
  }

  async send(batch: Batch): Promise<SendResult> {
    if (this.#closed) return { kind: 'retry', reason: 'connection_lost', detail: 'the sink is closed' };
    const connected = await this.#connection();
    if (!connected.ok) return connected.result;
    const { conn } = connected;
    const frames = renderSyslogFrames(batch.lines, this.#prepared, new Date((this.#o.now ?? Date.now)()).toISOString());
    return new Promise((resolve) => {
      conn.pending.push(resolve);
      conn.bytes += frames.length;
      conn.socket.write(frames, 'utf8');
      if (conn.bytes >= this.#o.confirmBytes) this.#confirm(conn);
    });
  }

  flush(): void {
    const conn = this.#current;
    if (conn && conn.pending.length > 0) this.#confirm(conn);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const conn of this.#open) this.#settle(conn, { kind: 'retry', reason: 'connection_lost', detail: 'the sink was closed before the server confirmed' });
  }

  #connection(): Promise<Connected> {
    const current = this.#current;
    if (current && !current.closing && !current.settled) return Promise.resolve({ ok: true, conn: current });
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  #connect(): Promise<Connected> {
    const { host, port, tls } = this.#o;
    return new Promise((resolve) => {
      const socket = tls ? tlsConnect({ ...tls, host, port }) : netConnect({ host, port });
      socket.on('error', () => {}); // every error is handled below; none may reach the process
      const fail = (result: SendResult) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ok: false, result });
      };
      const timer = setTimeout(() => fail({ kind: 'retry', reason: 'connect_timeout', detail: `no connection to ${host}:${port} within ${this.#o.connectTimeoutMs} ms` }), this.#o.connectTimeoutMs);
      const onError = (err: Error) => fail({ kind: 'retry', reason: classifySocketError(err), detail: describeError(err) });
      socket.once('error', onError);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        if (this.#closed) return fail({ kind: 'retry', reason: 'connection_lost', detail: 'the sink is closed' });
        const conn: Connection = { socket, pending: [], bytes: 0, closing: false, peerEnded: false, settled: false };
        this.#watch(conn);
        this.#current = conn;
        resolve({ ok: true, conn });
      });
    });
  }

  #watch(conn: Connection): void {
    this.#open.add(conn);
    const { socket } = conn;
    socket.on('data', () => {}); // a syslog server sends nothing; reading keeps us aware of FIN and RST
    socket.on('end', () => {
      conn.peerEnded = true;
      if (!conn.closing) this.#settle(conn, { kind: 'retry', reason: 'connection_lost', detail: 'the server closed the connection' });
    });
    socket.on('error', (err) => this.#settle(conn, { kind: 'retry', reason: classifySocketError(err), detail: describeError(err) }));
    socket.on('close', () => {
      if (conn.closing && conn.peerEnded) this.#settle(conn, { kind: 'ok' });
      else this.#settle(conn, { kind: 'retry', reason: 'connection_lost', detail: 'the connection closed before the server confirmed' });
    });
  }

  /** Closes our side; the server's close in return acknowledges everything written on it. */
  #confirm(conn: Connection): void {
    if (conn.closing || conn.settled) return;
    conn.closing = true;
    if (this.#current === conn) this.#current = undefined;
    conn.timer = setTimeout(
      () => this.#settle(conn, { kind: 'retry', reason: 'timeout', detail: `the server did not close within ${this.#o.confirmTimeoutMs} ms` }),
      this.#o.confirmTimeoutMs,
    );
    conn.socket.end();
  }

  #settle(conn: Connection, result: SendResult): void {
    if (conn.settled) return;
    conn.settled = true;
    clearTimeout(conn.timer);
    this.#open.delete(conn);
    if (this.#current === conn) this.#current = undefined;
    if (result.kind !== 'ok') conn.socket.destroy();
    for (const resolve of conn.pending.splice(0)) resolve(result);
  }
}
