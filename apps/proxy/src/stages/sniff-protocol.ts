// Pure, tri-state protocol sniffing on the first bytes a client sends: HTTP/1.x by its request
// line, HTTP/2 by its connection preface, anything else opaque; 'need-more' until it can tell.

export type Sniff = 'http1' | 'h2' | 'opaque' | 'need-more';

/** The most a detector may buffer before it gives up and treats the stream as opaque. */
export const MAX_SNIFF_BYTES = 64 * 1024;

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const MAX_METHOD = 20;

function isTokenUpper(byte: number): boolean {
  return byte >= 0x41 && byte <= 0x5a; // A-Z, the methods HTTP defines; extension methods are upper-case by convention
}

export function sniffProtocol(data: Buffer): Sniff {
  if (data.length === 0) return 'need-more';
  const prefaceLength = Math.min(data.length, H2_PREFACE.length);
  if (data.subarray(0, prefaceLength).equals(H2_PREFACE.subarray(0, prefaceLength))) {
    return prefaceLength === H2_PREFACE.length ? 'h2' : 'need-more';
  }
  let i = 0;
  while (i < data.length && i <= MAX_METHOD && isTokenUpper(data[i] as number)) i++;
  if (i === data.length) return i <= MAX_METHOD ? 'need-more' : 'opaque';
  if (i === 0 || data[i] !== 0x20) return 'opaque';
  const lineEnd = data.indexOf(0x0a, i);
  if (lineEnd === -1) return data.length >= MAX_SNIFF_BYTES ? 'opaque' : 'need-more';
  const line = data.toString('latin1', i + 1, lineEnd).replace(/\r$/, '');
  return / HTTP\/1\.[01]$/.test(line) && !line.startsWith(' ') ? 'http1' : 'opaque';
}
