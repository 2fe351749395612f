// The closed catalogue of errors Outrigger reports: one stable snake_case kind per failure, with the
// response flag written to the access log and the HTTP status of the proxy's own reply. Pure.
// docs/reference/errors.md is the user-facing copy; docs.spec.ts keeps the two in step.

/**
 * Response flags Outrigger writes. Envoy's own are used with Envoy's meaning (names from Envoy's
 * source/common/stream_info/utility.h) so Istio users read them as they are used to. Where Envoy
 * sets no flag (it leaves the cause in response_code_details) we add an extension flag in the
 * uppercase multi-letter form Envoy allows for custom flags.
 */
export const RESPONSE_FLAGS = {
  UF: { name: 'UpstreamConnectionFailure', origin: 'envoy' },
  UC: { name: 'UpstreamConnectionTermination', origin: 'envoy' },
  UT: { name: 'UpstreamRequestTimeout', origin: 'envoy' },
  UH: { name: 'NoHealthyUpstream', origin: 'envoy' },
  DF: { name: 'DnsResolutionFailed', origin: 'envoy' },
  UPE: { name: 'UpstreamProtocolError', origin: 'envoy' },
  DC: { name: 'DownstreamConnectionTermination', origin: 'envoy' },
  SI: { name: 'StreamIdleTimeout', origin: 'envoy' },
  DPE: { name: 'DownstreamProtocolError', origin: 'envoy' },
  DTF: { name: 'DownstreamTransportFailure', origin: 'outrigger' },
  RBAC: { name: 'AuthorizationDenied', origin: 'outrigger' },
  PDT: { name: 'ProtocolDetectionTimeout', origin: 'outrigger' },
  RHT: { name: 'RequestHeaderTimeout', origin: 'outrigger' },
  LOOP: { name: 'ForwardingLoop', origin: 'outrigger' },
  IE: { name: 'InternalError', origin: 'outrigger' },
  OL: { name: 'OverLimit', origin: 'outrigger' },
} as const;

export type ResponseFlag = keyof typeof RESPONSE_FLAGS;

export interface ErrorKindInfo {
  /** Flag for the access log; '-' for process errors, which never appear on an access-log line. */
  readonly flag: ResponseFlag | '-';
  /** Status of the proxy's own reply when no response has started yet; 0 = no HTTP reply, the connection is closed. */
  readonly httpStatus: number;
  readonly description: string;
}

export const ERROR_KINDS = {
  upstream_connect_refused: { flag: 'UF', httpStatus: 502, description: 'The upstream refused the connection: nothing listens on that address and port.' },
  upstream_connect_timeout: { flag: 'UF', httpStatus: 504, description: 'Connecting to the upstream (TCP and, for mesh peers, the TLS handshake) took longer than the connect timeout.' },
  upstream_unreachable: { flag: 'UF', httpStatus: 502, description: 'The kernel has no route to the upstream host or network.' },
  upstream_dns_failed: { flag: 'DF', httpStatus: 503, description: 'The upstream host name did not resolve.' },
  upstream_tls_failed: { flag: 'UF', httpStatus: 502, description: 'The mTLS handshake with the upstream peer failed (untrusted, expired or missing certificate, protocol mismatch).' },
  upstream_identity_mismatch: { flag: 'UF', httpStatus: 502, description: 'The upstream peer presented a valid certificate for an identity other than the one expected.' },
  upstream_reset: { flag: 'UC', httpStatus: 502, description: 'The upstream closed or reset the connection before the response was complete.' },
  upstream_timeout: { flag: 'UT', httpStatus: 504, description: 'The upstream did not answer within the request timeout.' },
  upstream_protocol_error: { flag: 'UPE', httpStatus: 502, description: 'The upstream sent a response that is not valid HTTP/1.x.' },
  no_upstream: { flag: 'UH', httpStatus: 503, description: 'No upstream is configured or known for this destination.' },
  downstream_aborted: { flag: 'DC', httpStatus: 0, description: 'The client closed or reset its connection before the exchange finished.' },
  tls_handshake_failed: { flag: 'DTF', httpStatus: 0, description: 'The TLS handshake with the client failed (not TLS, unsupported version or cipher, client rejected our certificate, handshake timeout).' },
  client_cert_required: { flag: 'DTF', httpStatus: 0, description: 'A port that requires mesh mTLS got a client without a certificate (plaintext, or TLS without a client certificate).' },
  client_cert_rejected: { flag: 'DTF', httpStatus: 0, description: 'The client certificate is not trusted: unknown CA, expired, not yet valid, or no SPIFFE ID of the trust domain.' },
  authz_denied: { flag: 'RBAC', httpStatus: 403, description: "The client's identity is not on the port's allow-list." },
  detect_timeout: { flag: 'PDT', httpStatus: 0, description: 'Protocol detection saw too few bytes before its timeout; the connection continues as opaque TCP.' },
  idle_timeout: { flag: 'SI', httpStatus: 408, description: 'No bytes moved in either direction for the idle timeout.' },
  request_header_timeout: { flag: 'RHT', httpStatus: 408, description: 'The client did not send complete request headers within the header timeout.' },
  headers_too_large: { flag: 'DPE', httpStatus: 431, description: 'The request headers exceed the size limit.' },
  bad_request: { flag: 'DPE', httpStatus: 400, description: 'The client sent a request that is not valid HTTP/1.x.' },
  loop_detected: { flag: 'LOOP', httpStatus: 0, description: "The connection's original destination is the proxy's own port; forwarding it would loop." },
  connection_limit: { flag: 'OL', httpStatus: 0, description: 'The listener had limits.maxConnectionsPerListener connections open and closed a new one unserved.' },
  internal: { flag: 'IE', httpStatus: 500, description: 'An error inside the proxy that no other kind describes (a bug: please report it).' },
  config_invalid: { flag: '-', httpStatus: 0, description: 'A configuration value or option is invalid; the process refuses it at start or on reload.' },
  log_destination_unavailable: { flag: '-', httpStatus: 0, description: 'An access-log destination cannot be opened or written.' },
} as const satisfies Record<string, ErrorKindInfo>;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** Which socket an error came from: the same errno means a client abort on one side and an upstream reset on the other. */
export type ErrorSide = 'downstream' | 'upstream';

export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && Object.hasOwn(ERROR_KINDS, value);
}

/** An error raised by Outrigger code: the kind is decided where the context is known. */
export class OutriggerError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message?: string, options?: ErrorOptions) {
    super(message ?? ERROR_KINDS[kind].description, options);
    this.name = 'OutriggerError';
    this.kind = kind;
  }
}

/** Codes that mean the same on either side. */
const CODE_KINDS: Readonly<Record<string, ErrorKind>> = {
  ECONNREFUSED: 'upstream_connect_refused',
  ETIMEDOUT: 'upstream_connect_timeout',
  EHOSTUNREACH: 'upstream_unreachable',
  ENETUNREACH: 'upstream_unreachable',
  EHOSTDOWN: 'upstream_unreachable',
  ENETDOWN: 'upstream_unreachable',
  ENOTFOUND: 'upstream_dns_failed',
  EAI_AGAIN: 'upstream_dns_failed',
  EAI_FAIL: 'upstream_dns_failed',
  ECONNABORTED: 'downstream_aborted', // accept() on a connection the client already gave up on
  ECONNECT_TIMEOUT: 'upstream_connect_timeout', // http-proxy-3's connectTimeout
  ERR_HTTP_REQUEST_TIMEOUT: 'request_header_timeout', // node:http server headersTimeout/requestTimeout
};

const SIDE_CODE_KINDS: Readonly<Record<ErrorSide, Readonly<Record<string, ErrorKind>>>> = {
  downstream: {
    ECONNRESET: 'downstream_aborted',
    EPIPE: 'downstream_aborted',
    ERR_STREAM_PREMATURE_CLOSE: 'downstream_aborted',
    HPE_HEADER_OVERFLOW: 'headers_too_large',
    ERR_TLS_HANDSHAKE_TIMEOUT: 'tls_handshake_failed',
    ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'client_cert_required',
  },
  upstream: {
    ECONNRESET: 'upstream_reset',
    EPIPE: 'upstream_reset',
    ERR_STREAM_PREMATURE_CLOSE: 'upstream_reset',
    ERR_TLS_HANDSHAKE_TIMEOUT: 'upstream_connect_timeout',
    ERR_TLS_CERT_ALTNAME_INVALID: 'upstream_identity_mismatch',
  },
};

/** OpenSSL X509 verification results as node:tls reports them (no ERR_ prefix). */
const CERT_VERIFY_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_CHAIN_TOO_LONG', 'CERT_REVOKED',
  'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
]);

function kindOfCode(code: string, side: ErrorSide): ErrorKind | undefined {
  const kind = SIDE_CODE_KINDS[side][code] ?? CODE_KINDS[code];
  if (kind) return kind;
  if (code.startsWith('HPE_')) return side === 'downstream' ? 'bad_request' : 'upstream_protocol_error';
  const certVerify = CERT_VERIFY_CODES.has(code);
  if (certVerify || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    if (side === 'upstream') return 'upstream_tls_failed';
    return certVerify ? 'client_cert_rejected' : 'tls_handshake_failed';
  }
  return undefined;
}

// Cause chains are short; the cap only guards against pathological or cyclic graphs.
const MAX_ERRORS_VISITED = 32;

/**
 * The kind of any thrown value. Walks `cause` chains and AggregateError members, outermost first:
 * an explicit `kind` (set where the context was known) or a recognised code wins; else `internal`.
 */
export function classifyError(err: unknown, side: ErrorSide = 'upstream'): ErrorKind {
  const queue: unknown[] = [err];
  const seen = new Set<object>();
  for (let i = 0; i < queue.length && i < MAX_ERRORS_VISITED; i++) {
    const e = queue[i];
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const { kind, code, name, cause, errors } = e as { kind?: unknown; code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    if (isErrorKind(kind)) return kind;
    const byCode = typeof code === 'string' ? kindOfCode(code, side) : undefined;
    if (byCode) return byCode;
    // AbortSignal.timeout() rejects with a DOMException named TimeoutError and no errno code.
    if (name === 'TimeoutError') return side === 'upstream' ? 'upstream_timeout' : 'idle_timeout';
    if (cause !== undefined) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return 'internal';
}
