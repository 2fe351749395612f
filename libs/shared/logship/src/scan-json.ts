// Is this line a JSON object (RFC 8259, exactly what JSON.parse accepts), and does it have a given
// top-level key? Pure and allocation-free: the HTTP sinks ask this of every line, and building the
// objects only to throw them away was most of the garbage the exporter made while catching up.

export interface JsonObjectScan {
  /** The whole text is one JSON object (whitespace around it allowed). */
  readonly valid: boolean;
  /** It has no members: `{}`. */
  readonly empty: boolean;
  /** A top-level member is named exactly `key` (compared as written, escapes not decoded). */
  readonly hasKey: boolean;
}

const INVALID: JsonObjectScan = { valid: false, empty: false, hasKey: false };
const RESULTS: JsonObjectScan[] = [
  { valid: true, empty: false, hasKey: false },
  { valid: true, empty: false, hasKey: true },
  { valid: true, empty: true, hasKey: false },
];

// Container kinds on the stack; one array reused by every call (the scan never yields).
const OBJECT = 1;
const ARRAY = 2;
const stack: number[] = [];

export function scanJsonObject(text: string, key?: string): JsonObjectScan {
  const n = text.length;
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x7b /* { */) return INVALID;
  stack.length = 0;
  let members = 0;
  let hasKey = false;
  // Each step: we are just after `{` or `[` (expect first member/element or the close) or after a
  // value (expect `,` or the close).
  let afterOpen = true;
  stack.push(OBJECT);
  i++;
  while (stack.length > 0) {
    i = skipWs(text, i);
    const top = stack[stack.length - 1] as number;
    const c = text.charCodeAt(i);
    if (afterOpen && (c === 0x7d || c === 0x5d)) {
      if ((top === OBJECT) !== (c === 0x7d)) return INVALID;
      stack.pop();
      i++;
      afterOpen = false;
      continue;
    }
    if (!afterOpen) {
      if (c === 0x2c /* , */) {
        i = skipWs(text, i + 1);
      } else if (c === (top === OBJECT ? 0x7d : 0x5d)) {
        stack.pop();
        i++;
        continue;
      } else {
        return INVALID;
      }
    }
    if (top === OBJECT) {
      const start = i;
      i = skipString(text, i);
      if (i < 0) return INVALID;
      if (stack.length === 1) {
        members++;
        if (key !== undefined && i - start - 2 === key.length && text.startsWith(key, start + 1)) hasKey = true;
      }
      i = skipWs(text, i);
      if (text.charCodeAt(i) !== 0x3a /* : */) return INVALID;
      i = skipWs(text, i + 1);
    }
    // A value.
    const v = text.charCodeAt(i);
    afterOpen = false;
    if (v === 0x7b || v === 0x5b) {
      stack.push(v === 0x7b ? OBJECT : ARRAY);
      afterOpen = true;
      i++;
    } else if (v === 0x22) {
      i = skipString(text, i);
    } else if (v === 0x74) {
      i = text.startsWith('true', i) ? i + 4 : -1;
    } else if (v === 0x66) {
      i = text.startsWith('false', i) ? i + 5 : -1;
    } else if (v === 0x6e) {
      i = text.startsWith('null', i) ? i + 4 : -1;
    } else {
      i = skipNumber(text, i);
    }
    if (i < 0) return INVALID;
  }
  if (skipWs(text, i) !== n) return INVALID;
  if (members === 0) return RESULTS[2] as JsonObjectScan;
  return RESULTS[hasKey ? 1 : 0] as JsonObjectScan;
}

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** From an opening quote to just past the closing one; -1 when not a valid string. */
function skipString(text: string, i: number): number {
  if (text.charCodeAt(i) !== 0x22) return -1;
  for (i++; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c /* \ */) {
      const e = text.charCodeAt(++i);
      if (e === 0x75 /* u */) {
        for (let k = 1; k <= 4; k++) if (!isHex(text.charCodeAt(i + k))) return -1;
        i += 4;
      } else if (!(e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
        return -1;
      }
    }
  }
  return -1;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? ; -1 when not a number. */
function skipNumber(text: string, i: number): number {
  if (text.charCodeAt(i) === 0x2d) i++;
  const first = text.charCodeAt(i);
  if (first === 0x30) i++;
  else if (isDigit(first)) while (isDigit(text.charCodeAt(i))) i++;
  else return -1;
  if (text.charCodeAt(i) === 0x2e) {
    i++;
    if (!isDigit(text.charCodeAt(i))) return -1;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const s = text.charCodeAt(i);
    if (s === 0x2b || s === 0x2d) i++;
    if (!isDigit(text.charCodeAt(i))) return -1;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  return i;
}
