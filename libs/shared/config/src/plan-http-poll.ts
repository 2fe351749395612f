// The HTTP side of polling a URL: which validators to keep from a 200, the conditional headers
// they become, what a failed request was, and the file name the body gets. Pure.
import type { SourceErrorKind } from './source-error.ts';

/** What a server said about the version it sent (RFC 9110 section 8.8). */
export interface HttpValidators {
  etag?: string;
  lastModified?: string;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export function parseValidators(headers: Headers): HttpValidators {
  const out: HttpValidators = {};
  const etag = first(headers.etag)?.trim();
  const lastModified = first(headers['last-modified'])?.trim();
  if (etag) out.etag = etag;
  if (lastModified) out.lastModified = lastModified;
  return out;
}

/**
 * If-None-Match takes precedence over If-Modified-Since at the server (RFC 9110 13.2.2), but both
 * are sent: a cache or server that ignores ETags still honours the date.
 */
export function planConditionalHeaders(validators: HttpValidators): Record<string, string> {
  const headers: Record<string, string> = {};
  if (validators.etag) headers['if-none-match'] = validators.etag;
  if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
  return headers;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED']);
// OpenSSL's verification results, as node:tls reports them (no ERR_ prefix).
const TLS_VERIFY = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_|ERR_OSSL_|HOSTNAME_MISMATCH)/;

/** The kind of a failed request, from the Node error code. */
export function parseRequestErrorKind(code: string | undefined): SourceErrorKind {
  if (code === undefined) return 'unreachable';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (UNREACHABLE.has(code)) return 'unreachable';
  if (TLS_VERIFY.test(code)) return 'tls';
  return 'unreachable';
}

/** `https://cfg.example/apps/shop/app.yaml?v=2` -> `app.yaml`; a path ending in `/` -> `config`. */
export function parseUrlFileName(url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  // Never a path: the name becomes a file in the destination folder.
  return name && !name.startsWith('..') && !name.includes('/') && !name.includes('\0') ? name : 'config';
}

/** The URL as it may be logged: user and password removed, the query kept out (it may hold a token). */
export function renderSafeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
