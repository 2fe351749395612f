// Reads the first bytes a client sends, at most MAX_SNIFF_BYTES and for at most the detect timeout,
// decides HTTP/1 or opaque (sniff-protocol.ts), and puts the bytes back for the next stage.
import type { Duplex } from 'node:stream';
import type { ConnectionRecord } from '../record.ts';
import { MAX_SNIFF_BYTES, sniffProtocol } from './sniff-protocol.ts';

export interface Detection {
  protocol: 'http1' | 'opaque' | 'closed';
  /** Bytes read that could not be put back because the client already half-closed. */
  leftover: Buffer | null;
}

export function detectProtocol(socket: Duplex, record: ConnectionRecord, timeoutMs: number): Promise<Detection> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (protocol: Detection['protocol'], ended: boolean) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onClose);
      socket.pause();
      const head = length > 0 ? Buffer.concat(chunks, length) : null;
      // A readable that emitted 'end' refuses unshift; hand those bytes over explicitly instead.
      if (head && !ended) socket.unshift(head);
      resolve({ protocol, leftover: ended ? head : null });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      const sniff = sniffProtocol(chunks.length === 1 ? chunk : Buffer.concat(chunks, length));
      if (sniff === 'http1') finish('http1', false);
      else if (sniff === 'opaque' || sniff === 'h2' || length >= MAX_SNIFF_BYTES) finish('opaque', false);
    };
    const onEnd = () => finish(length > 0 ? 'opaque' : 'closed', true);
    const onClose = () => finish('closed', true);
    const timer = setTimeout(() => {
      record.detectTimedOut = true;
      finish('opaque', false);
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onClose);
  });
}
