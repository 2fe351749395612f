// Reads the subjectaltname string node's TLS layer reports for a peer ('DNS:a, URI:spiffe://...').
// Node JSON-quotes values holding ',' and the like ('URI:"spiffe://x\u002c..."', or the whole entry in
// some releases) so a crafted value never reads as two entries; a split on ', ' could forge an identity.

export interface AltName {
  type: string;
  value: string;
}

const SEPARATOR = ', ';

export function parseSubjectAltNames(text: string): AltName[] {
  const names: AltName[] = [];
  let i = 0;
  while (i < text.length) {
    let type: string;
    let value: string;
    if (text[i] === '"') {
      const quoted = readQuoted(text, i);
      if (quoted === undefined) break; // unterminated: nothing after it can be trusted
      i = quoted.end;
      const colon = quoted.text.indexOf(':');
      type = colon === -1 ? '' : quoted.text.slice(0, colon);
      value = colon === -1 ? quoted.text : quoted.text.slice(colon + 1);
    } else {
      const colon = text.indexOf(':', i);
      const nextSeparator = text.indexOf(SEPARATOR, i);
      if (colon === -1 || (nextSeparator !== -1 && nextSeparator < colon)) {
        i = nextSeparator === -1 ? text.length : nextSeparator + SEPARATOR.length; // no type: skip the entry
        continue;
      }
      type = text.slice(i, colon);
      i = colon + 1;
      if (text[i] === '"') {
        const quoted = readQuoted(text, i);
        if (quoted === undefined) break;
        value = quoted.text;
        i = quoted.end;
      } else {
        const end = text.indexOf(SEPARATOR, i);
        value = text.slice(i, end === -1 ? text.length : end);
        i = end === -1 ? text.length : end;
      }
    }
    if (type !== '') names.push({ type, value });
    if (text.startsWith(SEPARATOR, i)) i += SEPARATOR.length;
    else if (i < text.length) break; // garbage after a quoted value: stop rather than guess
  }
  return names;
}

/** The first URI SAN that is a SPIFFE ID, as the peer's identity; undefined if it has none. */
export function peerIdentityFromSubjectAltName(subjectaltname: string | undefined): string | undefined {
  if (subjectaltname === undefined) return undefined;
  return parseSubjectAltNames(subjectaltname).find((n) => n.type === 'URI' && n.value.startsWith('spiffe://'))?.value;
}

/** Decodes the JSON string literal starting at `start`; `end` is the index just after it. */
function readQuoted(text: string, start: number): { text: string; end: number } | undefined {
  for (let j = start + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') {
      try {
        return { text: JSON.parse(text.slice(start, j + 1)) as string, end: j + 1 };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
