// Inbound TLS detection in transparent mode: a ClientHello offering the mesh ALPN is mesh mTLS,
// another ClientHello is somebody's TLS (edge TLS, or the app's own), anything else is plaintext.
import type { Duplex } from 'node:stream';
import type { ConnectionRecord } from '../record.ts';
import { MAX_CLIENT_HELLO, parseClientHello } from './client-hello.ts';
import { peek } from './peek.ts';
import { MESH_ALPN } from './terminate-tls.ts';

export type TlsDetection = { kind: 'mesh' | 'tls' | 'plaintext'; leftover: null } | { kind: 'closed' | 'ended'; leftover: Buffer | null };

export async function detectTls(socket: Duplex, record: ConnectionRecord, timeoutMs: number): Promise<TlsDetection> {
  const peeked = await peek(socket, (head) => {
    const hello = parseClientHello(head);
    if (hello.kind === 'need-more') return undefined;
    if (hello.kind === 'not-tls') return 'plaintext' as const;
    return hello.alpn.includes(MESH_ALPN) ? ('mesh' as const) : ('tls' as const);
  }, MAX_CLIENT_HELLO, timeoutMs);
  switch (peeked.kind) {
    case 'decided':
      return { kind: peeked.value, leftover: null };
    case 'timeout':
      // A client that says nothing (server-first protocol) is not doing TLS.
      record.detectTimedOut = true;
      return { kind: 'plaintext', leftover: null };
    case 'limit':
      return { kind: 'plaintext', leftover: null };
    case 'ended':
      return peeked.leftover ? { kind: 'ended', leftover: peeked.leftover } : { kind: 'closed', leftover: null };
  }
}
