// First stage of every listener: a raw TCP connection becomes a ConnectionRecord with its
// addresses, an error handler (one bad socket never takes the process down) and an idle timeout.
import type { Socket } from 'node:net';
import { formatAddress, newConnectionRecord, type ConnectionRecord, type Direction } from '../record.ts';

export interface AcceptOptions {
  direction: Direction;
  listener: string;
  port: number;
  idleTimeoutMs: number;
  now: () => number;
}

export function accept(socket: Socket, opts: AcceptOptions): ConnectionRecord {
  const record = newConnectionRecord({ direction: opts.direction, listener: opts.listener, port: opts.port, now: opts.now() });
  record.downstreamRemote = formatAddress(socket.remoteAddress, socket.remotePort);
  record.downstreamLocal = formatAddress(socket.localAddress, socket.localPort);
  socket.on('error', () => {
    // Errors are classified by whichever stage owns the socket at the time; this handler only
    // keeps an 'error' event without a listener from crashing the process.
  });
  socket.setNoDelay(true);
  socket.setTimeout(opts.idleTimeoutMs, () => {
    record.error ??= 'idle_timeout';
    socket.destroy();
  });
  return record;
}
