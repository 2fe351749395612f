// Protocol detection after TLS: HTTP/1.x goes to the HTTP path, anything else (HTTP/2 included)
// is opaque TCP. At most MAX_SNIFF_BYTES and the detect timeout; a timeout is recorded.
import type { Duplex } from 'node:stream';
import type { ConnectionRecord } from '../record.ts';
import { peek } from './peek.ts';
import { MAX_SNIFF_BYTES, sniffProtocol } from './sniff-protocol.ts';

export interface Detection {
  protocol: 'http1' | 'opaque' | 'closed';
  /** Bytes read that could not be put back because the client already half-closed. */
  leftover: Buffer | null;
}

export async function detectProtocol(socket: Duplex, record: ConnectionRecord, timeoutMs: number): Promise<Detection> {
  const peeked = await peek(socket, (head) => {
    const sniff = sniffProtocol(head);
    return sniff === 'need-more' ? undefined : sniff;
  }, MAX_SNIFF_BYTES, timeoutMs);
  switch (peeked.kind) {
    case 'decided':
      return { protocol: peeked.value === 'http1' ? 'http1' : 'opaque', leftover: null };
    case 'timeout':
      record.detectTimedOut = true;
      return { protocol: 'opaque', leftover: null };
    case 'limit':
      return { protocol: 'opaque', leftover: null };
    case 'ended':
      return { protocol: peeked.leftover ? 'opaque' : 'closed', leftover: peeked.leftover };
  }
}
