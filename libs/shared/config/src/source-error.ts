// Why a config source gave no snapshot: a closed set of kinds, one per way a directory or URL can
// fail, so callers count and log them without parsing messages. Pure.

export const SOURCE_ERROR_KINDS = {
  not_found: 'The directory (or a file it names) does not exist.',
  unreadable: 'The directory or a file in it cannot be read (permissions, not a directory, kept changing during the read).',
  too_large: 'The config is larger than the size limit.',
  unreachable: 'The URL\'s host did not resolve, refused or reset the connection.',
  timeout: 'The HTTP request did not complete within the timeout.',
  tls: 'The TLS handshake failed: untrusted or invalid server certificate, or the client certificate was refused or unreadable.',
  http_status: 'The server answered with a status other than 200 or 304.',
} as const;

export type SourceErrorKind = keyof typeof SOURCE_ERROR_KINDS;

export class SourceError extends Error {
  readonly kind: SourceErrorKind;
  /** The directory or URL (credentials removed) the error is about. */
  readonly source: string;

  constructor(kind: SourceErrorKind, source: string, message: string, options?: ErrorOptions) {
    super(`${source}: ${message}`, options);
    this.name = 'SourceError';
    this.kind = kind;
    this.source = source;
  }
}
