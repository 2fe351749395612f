// Pure, tri-state TLS ClientHello parser (RFC 8446 4.1.2, RFC 6066 SNI, RFC 7301 ALPN): `found`
// with SNI and ALPN, `not-tls`, or `need-more` bytes. It reassembles a hello split across records.

export type ClientHelloParse =
  | { kind: 'found'; serverName: string | null; alpn: string[]; legacyVersion: number }
  | { kind: 'not-tls'; reason: string }
  | { kind: 'need-more' };

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
/** A ClientHello larger than this is not one we will wait for (post-quantum hellos are ~2 KiB). */
export const MAX_CLIENT_HELLO = 64 * 1024;

const notTls = (reason: string): ClientHelloParse => ({ kind: 'not-tls', reason });
const NEED_MORE: ClientHelloParse = { kind: 'need-more' };

export function parseClientHello(data: Buffer): ClientHelloParse {
  // Reassemble the handshake bytes carried by consecutive handshake records.
  const fragments: Buffer[] = [];
  let handshakeLength = 0;
  let wanted = -1;
  let offset = 0;
  for (;;) {
    if (data.length < offset + 1) return NEED_MORE;
    if (data[offset] !== HANDSHAKE) return notTls(offset === 0 ? 'first byte is not a TLS handshake record' : 'hello interrupted by another record type');
    if (data.length < offset + 2) return NEED_MORE;
    if (data[offset + 1] !== 0x03) return notTls('record version is not 3.x');
    if (data.length < offset + 5) return NEED_MORE;
    const recordLength = data.readUInt16BE(offset + 3);
    if (recordLength === 0 || recordLength > 16_384 + 256) return notTls('record length out of range');
    const available = Math.min(recordLength, data.length - offset - 5);
    fragments.push(data.subarray(offset + 5, offset + 5 + available));
    handshakeLength += available;
    if (wanted < 0 && handshakeLength >= 4) {
      const head = Buffer.concat(fragments, handshakeLength);
      if (head[0] !== CLIENT_HELLO) return notTls('handshake is not a ClientHello');
      wanted = 4 + head.readUIntBE(1, 3);
      if (wanted > MAX_CLIENT_HELLO) return notTls('ClientHello too large');
    } else if (wanted < 0 && handshakeLength >= 1 && Buffer.concat(fragments, handshakeLength)[0] !== CLIENT_HELLO) {
      return notTls('handshake is not a ClientHello');
    }
    if (wanted >= 0 && handshakeLength >= wanted) return parseHello(Buffer.concat(fragments, handshakeLength).subarray(4, wanted));
    if (available < recordLength) return NEED_MORE;
    offset += 5 + recordLength;
  }
}

/** The body of a complete ClientHello message (after its 4-byte handshake header). */
function parseHello(body: Buffer): ClientHelloParse {
  let p = 0;
  const need = (n: number) => p + n <= body.length;
  if (!need(2 + 32 + 1)) return notTls('ClientHello truncated');
  const legacyVersion = body.readUInt16BE(0);
  p = 34;
  const sessionIdLength = body[p] as number;
  p += 1 + sessionIdLength;
  if (sessionIdLength > 32 || !need(2)) return notTls('bad session id');
  const cipherLength = body.readUInt16BE(p);
  p += 2 + cipherLength;
  if (cipherLength % 2 !== 0 || !need(1)) return notTls('bad cipher suites');
  const compressionLength = body[p] as number;
  p += 1 + compressionLength;
  if (!need(0)) return notTls('bad compression methods');
  let serverName: string | null = null;
  const alpn: string[] = [];
  if (p === body.length) return { kind: 'found', serverName, alpn, legacyVersion }; // no extensions (old clients)
  if (!need(2)) return notTls('bad extensions length');
  const end = p + 2 + body.readUInt16BE(p);
  p += 2;
  if (end !== body.length) return notTls('extensions length does not match the hello');
  while (p < end) {
    if (p + 4 > end) return notTls('truncated extension header');
    const type = body.readUInt16BE(p);
    const length = body.readUInt16BE(p + 2);
    const ext = body.subarray(p + 4, p + 4 + length);
    p += 4 + length;
    if (p > end) return notTls('truncated extension');
    if (type === EXT_SERVER_NAME && ext.length >= 5 && ext[2] === 0) {
      const nameLength = ext.readUInt16BE(3);
      if (5 + nameLength <= ext.length) serverName = ext.toString('latin1', 5, 5 + nameLength);
    } else if (type === EXT_ALPN && ext.length >= 2) {
      const listEnd = Math.min(ext.length, 2 + ext.readUInt16BE(0));
      for (let q = 2; q < listEnd; ) {
        const n = ext[q] as number;
        if (n === 0 || q + 1 + n > listEnd) return notTls('bad ALPN list');
        alpn.push(ext.toString('latin1', q + 1, q + 1 + n));
        q += 1 + n;
      }
    }
  }
  return { kind: 'found', serverName, alpn, legacyVersion };
}
