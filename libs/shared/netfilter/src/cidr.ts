// IPv4 and IPv6 CIDR blocks as the capture rules take them. node:net is off limits in pure code, and
// we want more than it offers: the family (v4 rules get v4 blocks only) and host bits refused,
// because iptables silently masks 10.0.0.1/8 to 10.0.0.0/8 and so hides a typo.

export type Family = 'v4' | 'v6';

export type CidrParse = { ok: true; family: Family } | { ok: false; problem: string };

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

export function parseCidr(text: string): CidrParse {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? '' : text.slice(slash + 1);
  const v4 = parseIpv4(address);
  const value = v4 ?? parseIpv6(address);
  if (value === undefined) return { ok: false, problem: `${JSON.stringify(text)} is not an IPv4 or IPv6 CIDR block` };
  const family: Family = v4 !== undefined ? 'v4' : 'v6';
  const bits = family === 'v4' ? 32 : 128;
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    return { ok: false, problem: `${JSON.stringify(text)} needs a prefix length /0 to /${bits} (write a single address as /${bits})` };
  }
  const hostBits = BigInt(bits - Number(prefixText));
  if ((value & ((1n << hostBits) - 1n)) !== 0n) {
    return { ok: false, problem: `${JSON.stringify(text)} has address bits set beyond its /${prefixText} prefix` };
  }
  return { ok: true, family };
}

function parseIpv4(text: string): bigint | undefined {
  if (!IPV4.test(text)) return undefined;
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(octet), 0n);
}

/** RFC 4291 text forms: eight groups, one '::' at most, an IPv4 tail allowed; no zone ids. */
function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '', true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const count = head.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const groups = [...head, ...Array<number>(8 - count).fill(0), ...tail];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

function parseGroups(part: string, ipv4TailAllowed: boolean): number[] | undefined {
  if (part === '') return [];
  const pieces = part.split(':');
  const groups: number[] = [];
  for (const [i, piece] of pieces.entries()) {
    const v4 = ipv4TailAllowed && i === pieces.length - 1 ? parseIpv4(piece) : undefined;
    if (v4 !== undefined) groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    else if (HEX_GROUP.test(piece)) groups.push(parseInt(piece, 16));
    else return undefined;
  }
  return groups;
}
