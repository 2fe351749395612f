// RFC 5424 syslog messages and RFC 6587 octet-counting frames for access-log lines. Pure: the
// constant part of the header is prepared once, then each line costs a timestamp and a concat.
// docs/reference/log-exporter.md ("syslog") describes the choices made here against the RFC.
import { lineTime, markedText, type LogLine } from './log-line.ts';

/** RFC 5424 section 6.2.1, table 1. */
export const FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10,
  ftp: 11, ntp: 12, audit: 13, alert: 14, clock: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;
/** RFC 5424 section 6.2.1, table 2. */
export const SEVERITIES = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;
export type Facility = keyof typeof FACILITIES;
export type Severity = keyof typeof SEVERITIES;

/** SD-IDs without an `@` are reserved for IANA-registered ones (RFC 5424 sections 6.3.2 and 7). */
export const IANA_SD_IDS = ['timeQuality', 'origin', 'meta'] as const;

export interface SdElement {
  readonly id: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface SyslogFormat {
  readonly facility: Facility;
  readonly severity: Severity;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly structuredData: readonly SdElement[];
  /** RFC 5424 section 6.4: a UTF-8 MSG MUST start with a BOM. Off only for receivers that show it. */
  readonly bom: boolean;
}

/** The per-line constant parts of a message, prepared once per sink. */
export interface PreparedSyslog {
  /** `<PRI>1 ` (ASCII). */
  readonly head: string;
  /** ` HOSTNAME APP-NAME PROCID MSGID SD ` and the BOM. */
  readonly middle: string;
  /** middle as UTF-8 (SD param values may be any UTF-8), copied into each frame. */
  readonly middleBytes: Buffer;
}

/** RFC 5424 section 6: maximum lengths of the header fields (in PRINTUSASCII characters). */
const HEADER_LIMITS = { hostname: 255, appName: 48, procId: 128, msgId: 32 } as const;
const BOM = '\uFEFF';

/**
 * A header field as RFC 5424 allows it: 1 to max printable US-ASCII characters (33..126), or the
 * NILVALUE `-` when empty. Other characters become `_`: a pod name never has them, but
 * os.hostname() on a laptop might.
 */
export function headerField(value: string, max: number): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return cleaned === '' ? '-' : cleaned;
}

const SD_NAME = /^[\x21-\x7e]{1,32}$/;
const SD_NAME_FORBIDDEN = /[= \]"]/;

/** Why an SD-ID or PARAM-NAME is not valid, or undefined when it is (RFC 5424 section 6.3.2/6.3.3). */
export function sdNameProblem(name: string, kind: 'id' | 'param'): string | undefined {
  if (!SD_NAME.test(name) || SD_NAME_FORBIDDEN.test(name)) return `"${name}" must be 1 to 32 printable ASCII characters without '=', ' ', ']' or '"'`;
  if (kind === 'id') {
    const at = name.indexOf('@');
    if (at === -1 && !(IANA_SD_IDS as readonly string[]).includes(name)) {
      return `"${name}" is not an IANA-registered SD-ID (${IANA_SD_IDS.join(', ')}); use name@<private enterprise number>`;
    }
    if (at !== -1 && (at === 0 || name.indexOf('@', at + 1) !== -1 || !/^\d+(\.\d+)*$/.test(name.slice(at + 1)))) {
      return `"${name}" must be name@<private enterprise number>, e.g. origin@32473`;
    }
  }
  return undefined;
}

/** RFC 5424 section 6.3.3: `"`, `\` and `]` are escaped with a backslash inside PARAM-VALUE. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** STRUCTURED-DATA: the NILVALUE `-`, or the elements in order. Names must be valid (sdNameProblem). */
export function renderStructuredData(elements: readonly SdElement[]): string {
  if (elements.length === 0) return '-';
  return elements
    .map((e) => `[${e.id}${Object.entries(e.params).map(([k, v]) => ` ${k}="${escapeParamValue(v)}"`).join('')}]`)
    .join('');
}

export function prepareSyslog(format: SyslogFormat): PreparedSyslog {
  const pri = FACILITIES[format.facility] * 8 + SEVERITIES[format.severity];
  const fields = [
    headerField(format.hostname, HEADER_LIMITS.hostname),
    headerField(format.appName, HEADER_LIMITS.appName),
    headerField(format.procId, HEADER_LIMITS.procId),
    headerField(format.msgId, HEADER_LIMITS.msgId),
  ];
  const middle = ` ${fields.join(' ')} ${renderStructuredData(format.structuredData)} ${format.bom ? BOM : ''}`;
  return { head: `<${pri}>1 `, middle, middleBytes: Buffer.from(middle, 'utf8') };
}

/**
 * SYSLOG-MSG for one line: TIMESTAMP is the line's `time` when it has one (when the request
 * happened), else nowIso (when it was shipped).
 */
export function renderSyslogMessage(line: LogLine, prepared: PreparedSyslog, nowIso: string): string {
  return prepared.head + (lineTime(line) ?? nowIso) + prepared.middle + markedText(line);
}

/** RFC 6587 section 3.4.1: MSG-LEN SP SYSLOG-MSG, where MSG-LEN counts octets, not characters. */
export function frameOctetCounted(message: string): string {
  return `${Buffer.byteLength(message, 'utf8')} ${message}`;
}

/**
 * The bytes to write for a batch: every line framed, in order, in one buffer. Byte-for-byte
 * renderSyslogMessage + frameOctetCounted for each line, but built without the intermediate
 * strings: at 200 000 lines a second those copies were most of the garbage collector's work.
 */
export function renderSyslogFrames(lines: readonly LogLine[], prepared: PreparedSyslog, nowIso: string): Buffer {
  const { head, middleBytes } = prepared;
  const n = lines.length;
  const times: string[] = new Array<string>(n);
  const textBytes = new Array<number>(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const line = lines[i] as LogLine;
    const time = lineTime(line) ?? nowIso; // ASCII: RFC 3339
    const text = markedText(line);
    const bytes = Buffer.byteLength(text, 'utf8');
    const msgLen = head.length + time.length + middleBytes.length + bytes;
    times[i] = time;
    textBytes[i] = bytes;
    total += decimalDigits(msgLen) + 1 + msgLen;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const line = lines[i] as LogLine;
    const time = times[i] as string;
    const msgLen = head.length + time.length + middleBytes.length + (textBytes[i] as number);
    at += out.write(`${msgLen} ${head}${time}`, at, 'latin1');
    at += middleBytes.copy(out, at);
    at += out.write(markedText(line), at, 'utf8');
  }
  return out;
}

function decimalDigits(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}
