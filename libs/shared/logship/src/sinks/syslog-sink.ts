// Syslog over TCP (optionally TLS): RFC 5424 messages in RFC 6587 octet-counting frames, with
// batches acknowledged by closing the connection (see SyslogSink).
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
  /**
   * Connections carrying batches at once (each confirms separately, so several keep the server
   * busy while one is confirmed). The check after each confirmation adds one short-lived more.
   */
  readonly maxConnections: number;
  readonly now?: () => number;
}

interface Connection {
  readonly socket: Socket;
  /** Counted against maxConnections (a data connection, not a check). */
  data: boolean;
  readonly pending: Array<(result: SendResult) => void>;
  bytes: number;
  closing: boolean;
  peerEnded: boolean;
  settled: boolean;
  timer?: NodeJS.Timeout;
}

type Connected = { ok: true; conn: Connection } | { ok: false; result: SendResult };

/**
 * Plain TCP syslog has no acknowledgement, and bytes the kernel accepted are not bytes the server
 * processed. So a group of batches is confirmed by closing the connection: we send FIN, the server
 * reads up to that end-of-stream (every frame before it is taken) and closes its side. A close in
 * return is not enough on its own: a server that is shutting down (syslog-ng on SIGTERM) also
 * answers with a clean FIN while dropping what it had read but not yet parsed. So the batches count
 * as acknowledged only when the server then accepts a new connection, which a stopping server no
 * longer does. A reset, an error, a refused reconnect or a timeout sends them all again.
 */
export class SyslogSink implements Sink {
  readonly kind = 'syslog' as const;
  readonly #o: SyslogSinkOptions;
  readonly #prepared;
  readonly #open = new Set<Connection>();
  #current: Connection | undefined;
  #connecting: Promise<Connected> | undefined;
  #closed = false;
  /** Sends between their call and their write (connecting). */
  #waiting = 0;
  /** flush() came while sends were connecting. */
  #flushAsked = false;
  /** Data connections whose socket is open, and the sends waiting for one to close. */
  #live = 0;
  #slotWaiters: Array<() => void> = [];

  constructor(opts: SyslogSinkOptions) {
    this.#o = opts;
    this.#prepared = prepareSyslog(opts.format);
  }

  async send(batch: Batch): Promise<SendResult> {
    if (this.#closed) return { kind: 'retry', reason: 'connection_lost', detail: 'the sink is closed' };
    let conn: Connection;
    this.#waiting++;
    try {
      for (;;) {
        const connected = await this.#connection();
        if (!connected.ok) return connected.result;
        conn = connected.conn;
        // Sends that waited on the same connect may find it already confirming: take a new one.
        if (!conn.closing && !conn.settled) break;
      }
    } finally {
      this.#waiting--;
      if (this.#waiting === 0 && !this.#current) this.#flushAsked = false;
    }
    const frames = renderSyslogFrames(batch.lines, this.#prepared, new Date((this.#o.now ?? Date.now)()).toISOString());
    return new Promise((resolve) => {
      conn.pending.push(resolve);
      conn.bytes += frames.length;
      conn.socket.write(frames);
      const asked = this.#flushAsked && this.#waiting === 0;
      if (asked) this.#flushAsked = false;
      if (asked || conn.bytes >= this.#o.confirmBytes) this.#confirm(conn);
    });
  }

  flush(): void {
    const conn = this.#current;
    if (conn && conn.pending.length > 0) this.#confirm(conn);
    // Sends still waiting for a connection confirm as soon as the last of them is written.
    if (this.#waiting > 0) this.#flushAsked = true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#slotWaiters.splice(0)) wake();
    for (const conn of this.#open) this.#settle(conn, { kind: 'retry', reason: 'connection_lost', detail: 'the sink was closed before the server confirmed' });
  }

  async #connection(): Promise<Connected> {
    for (;;) {
      if (this.#closed) return { ok: false, result: { kind: 'retry', reason: 'connection_lost', detail: 'the sink is closed' } };
      const current = this.#current;
      if (current && !current.closing && !current.settled) return { ok: true, conn: current };
      if (this.#connecting) return this.#connecting;
      if (this.#live < this.#o.maxConnections) break;
      await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    }
    this.#connecting = this.#connect()
      .then((c) => {
        if (c.ok) this.#adopt(c.conn);
        return c;
      })
      .finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  /** Makes a connection the one new batches are written to. */
  #adopt(conn: Connection): void {
    conn.data = true;
    this.#live++;
    this.#current = conn;
  }

  /** The server closed in return: it read to our end. Acknowledge only if it still takes connections. */
  async #verify(conn: Connection): Promise<void> {
    const probe = await this.#connect();
    if (!probe.ok) {
      const detail = probe.result.kind === 'retry' ? probe.result.detail : undefined;
      this.#settle(conn, { kind: 'retry', reason: 'connection_lost', detail: `the server closed, then refused a new connection (shutting down?): ${detail ?? ''}` });
      return;
    }
    this.#settle(conn, { kind: 'ok' });
    if (!this.#current && !this.#connecting && !this.#closed && this.#live < this.#o.maxConnections) this.#adopt(probe.conn); // the next batches go here
    else this.#confirm(probe.conn); // nothing to carry: end it (no pending, so it just closes)
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
        const conn: Connection = { socket, data: false, pending: [], bytes: 0, closing: false, peerEnded: false, settled: false };
        this.#watch(conn);
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
      if (conn.data) {
        conn.data = false;
        this.#live--;
        this.#slotWaiters.shift()?.();
      }
      if (conn.pending.length === 0) this.#settle(conn, { kind: 'ok' }); // nothing written on it
      else if (conn.closing && conn.peerEnded && !conn.settled) void this.#verify(conn);
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
