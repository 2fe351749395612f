// Checks and encodes the DNS and IP values that go into a leaf's subjectAltName. forge's own IP
// parser accepts '999.1.1.1' and wraps the bytes, so addresses are parsed here instead.
import { PkiError } from './errors.ts';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;

/** The address in network byte order (4 or 16 bytes), or undefined when it is not an IP literal. */
export function ipAddressBytes(text: string): Uint8Array | undefined {
  if (IPV4.test(text)) return Uint8Array.from(text.split('.'), Number);
  // Zone ids ('%eth0') and brackets have no place in a certificate; the WHATWG URL parser then
  // checks the IPv6 grammar and hands back a canonical form with no embedded IPv4 part.
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(':')) return undefined;
  let canonical: string;
  try {
    canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [head = '', tail] = canonical.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const n = parseInt(group, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  return bytes;
}

export function checkIpAddress(text: string): Uint8Array {
  const bytes = ipAddressBytes(text);
  if (bytes === undefined) throw new PkiError('invalid-ip', `${JSON.stringify(text)} is not an IPv4 or IPv6 address`);
  return bytes;
}

/** A host name, or a wildcard '*.' followed by one, as RFC 6125 lets a DNS SAN be. */
export function checkDnsName(text: string): string {
  const name = text.startsWith('*.') ? text.slice(2) : text;
  const labels = name.split('.');
  if (name.length === 0 || name.length > 253 || !labels.every((l) => l.length <= 63 && DNS_LABEL.test(l))) {
    throw new PkiError('invalid-dns-name', `${JSON.stringify(text)} is not a DNS name (dot-separated labels of letters, digits and '-', at most 253 characters)`);
  }
  return text;
}
