// The keep-alive pool a forwarder sends HTTP/1 requests on: undici's Pool (llhttp in wasm, no
// ClientRequest/Agent per request), over connections this module opens itself: plain TCP to the
// app, or mesh mTLS to a peer's inbound sidecar with the options current at that moment (rotation).
// Each pooled connection remembers the SPIFFE ID its peer presented, so a response can say which
// peer answered it (a ClusterIP can spread one pool over several pods).
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import type { buildConnector, Dispatcher } from 'undici';
// undici's pool and client only: its index also loads fetch, WebSocket, the cache, mocks and more,
// which doubled its share of the bundle (1.4 MB of 3.6) and of start-up. Types: undici-parts.d.ts.
import Client from 'undici/lib/dispatcher/client.js';
import Pool from 'undici/lib/dispatcher/pool.js';
import { peerIdentityFromSubjectAltName } from '@outrigger/pki';
import { OutriggerError } from '@outrigger/telemetry';
import type { MeshTlsOptions } from '../mesh-dialer.ts';

export interface UpstreamPoolOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** Mesh mTLS options, read per new connection; absent: plaintext. */
  tls?: () => MeshTlsOptions;
}

/** One pooled client's current connection: who is on the other end (set once its handshake is done). */
export interface PooledPeer {
  peerIdentity: string | null;
}

/** Filled in by the pool when the request is handed to a client; read once the response starts. */
export interface PeerSlot {
  peer: PooledPeer | null;
}

export interface UpstreamPool {
  /** undici's dispatch; `slot`, if any, receives the peer identity of the connection the request goes on. */
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, slot: PeerSlot | null): void;
  destroy(): void;
}

/**
 * Idle pooled connections close after the upstream's `Keep-Alive: timeout` hint less this margin,
 * or after IDLE_DEFAULT_MS without a hint (node's agent: hint less 1 s; an app on node's defaults
 * closes after 5 s).
 */
const IDLE_DEFAULT_MS = 4_000;
const IDLE_HINT_MARGIN_MS = 1_000;

/**
 * The request's slot rides on its dispatch options, which undici's pool hands unchanged to the
 * client it picks. (A WeakMap keyed by the options kept every request's options alive past a
 * scavenge: young-generation GC pauses of the outbound sidecar grew from ~1 to ~5 ms per second.)
 */
const kSlot = Symbol('outrigger.peerSlot');
type SlottedOptions = Dispatcher.DispatchOptions & { [kSlot]?: PeerSlot };

export function createUpstreamPool(options: UpstreamPoolOptions): UpstreamPool {
  const origin = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  // The pool hands a request to one of its clients (one connection each, pipelining 1); the
  // client's dispatch is wrapped to point the request's slot at that client's connection (which
  // may still be connecting: the identity is read when the response starts).
  const factory = (url: URL | string, clientOptions: object): Dispatcher => {
    const peer: PooledPeer = { peerIdentity: null };
    const client = new Client(url, { ...clientOptions, connect: (_, done) => open(peer, done) });
    const dispatch = client.dispatch.bind(client);
    client.dispatch = (dispatchOptions, handler) => {
      const slot = (dispatchOptions as SlottedOptions)[kSlot];
      if (slot) slot.peer = peer;
      return dispatch(dispatchOptions, handler);
    };
    return client;
  };
  const pool = new Pool(origin, {
    factory,
    pipelining: 1,
    allowH2: false,
    keepAliveTimeout: IDLE_DEFAULT_MS,
    keepAliveTimeoutThreshold: IDLE_HINT_MARGIN_MS,
  });
  pool.on('connectionError', () => {}); // reported to the request that waited for it

  function open(peer: PooledPeer, done: buildConnector.Callback): void {
    let settled = false;
    const finish = (...args: Parameters<buildConnector.Callback>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(...args);
    };
    let socket: Socket | TLSSocket;
    if (options.tls) {
      const tls = options.tls();
      peer.peerIdentity = null;
      const secure = connectTls({ ...tls, host: options.host, port: options.port });
      tls.keepSessions(secure);
      secure.once('secureConnect', () => {
        // getPeerCertificate() builds the whole certificate object: once per connection.
        peer.peerIdentity = peerIdentityFromSubjectAltName(secure.getPeerCertificate().subjectaltname) ?? null;
        finish(null, secure);
      });
      socket = secure;
    } else {
      socket = connectTcp({ host: options.host, port: options.port, noDelay: true });
      socket.once('connect', () => finish(null, socket));
    }
    socket.setNoDelay(true);
    socket.once('error', (err) => finish(err, null));
    const timer = setTimeout(() => {
      socket.destroy(new OutriggerError('upstream_connect_timeout', `no connection to ${options.host}:${options.port} within ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
  }

  return {
    dispatch(dispatchOptions, handler, slot) {
      if (slot) (dispatchOptions as SlottedOptions)[kSlot] = slot;
      pool.dispatch(dispatchOptions, handler);
    },
    destroy() {
      void pool.destroy().catch(() => {});
    },
  };
}
