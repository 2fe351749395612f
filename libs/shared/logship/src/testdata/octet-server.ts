// A small RFC 6587 octet-counting syslog receiver for specs (plain TCP or TLS): it parses frames,
// keeps the messages, and on end-of-stream closes its side as syslog-ng does. Modes simulate a
// server that resets connections, or one that never closes. Imported by specs only.
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';

export interface OctetServer {
  readonly port: number;
  readonly messages: string[];
  connections: number;
  /** shutting-down: answers our end with a clean close, then stops listening (as syslog-ng on SIGTERM). */
  mode: 'normal' | 'reset-on-data' | 'never-close' | 'shutting-down';
  close(): Promise<void>;
}

export async function startOctetServer(tls?: TlsOptions): Promise<OctetServer> {
  const sockets = new Set<Socket>();
  const state: Omit<OctetServer, 'port' | 'close'> = { messages: [], connections: 0, mode: 'normal' };
  const onConnection = (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (state.mode === 'reset-on-data') return void socket.resetAndDestroy();
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp === -1) break;
        const len = Number(buf.subarray(0, sp).toString('ascii'));
        if (buf.length < sp + 1 + len) break;
        state.messages.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
        buf = buf.subarray(sp + 1 + len);
      }
    });
    socket.on('end', () => {
      if (state.mode === 'shutting-down') server.close();
      if (state.mode !== 'never-close') socket.end();
    });
  };
  const server: Server = tls ? createTlsServer({ ...tls, allowHalfOpen: true }, onConnection) : createTcpServer({ allowHalfOpen: true }, onConnection);
  // Raw TCP sockets too: a TLS handshake that failed never becomes a secure connection.
  server.on('connection', (raw: Socket) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}
