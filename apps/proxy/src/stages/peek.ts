// Reads a client's first bytes until `decide` has an answer, at most maxBytes and for at most
// timeoutMs, then puts the bytes back so the next stage reads them again. Used by TLS detection
// and protocol detection; both are client-first checks, so the client is never kept waiting.
import type { Duplex } from 'node:stream';

export type Peeked<T> =
  | { kind: 'decided'; value: T }
  | { kind: 'timeout' }
  | { kind: 'limit' }
  /** The client half-closed or closed first; `leftover` holds bytes that could not be put back. */
  | { kind: 'ended'; leftover: Buffer | null };

export function peek<T>(socket: Duplex, decide: (head: Buffer) => T | undefined, maxBytes: number, timeoutMs: number): Promise<Peeked<T>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (result: Peeked<T>, ended: boolean) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      const head = length > 0 ? Buffer.concat(chunks, length) : null;
      // A readable that emitted 'end' refuses unshift; the caller gets those bytes instead.
      if (head && !ended) socket.unshift(head);
      resolve(result.kind === 'ended' ? { kind: 'ended', leftover: head } : result);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      const value = decide(chunks.length === 1 ? chunk : Buffer.concat(chunks, length));
      if (value !== undefined) finish({ kind: 'decided', value }, false);
      else if (length >= maxBytes) finish({ kind: 'limit' }, false);
    };
    const onEnd = () => finish({ kind: 'ended', leftover: null }, true);
    const timer = setTimeout(() => finish({ kind: 'timeout' }, false), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    // An earlier peek paused the stream; a new 'data' listener does not undo an explicit pause.
    socket.resume();
  });
}
