// The closed set of reasons the PKI functions refuse to build a certificate. Callers branch on
// `code`; the message is a sentence meant for the person who passed the bad input.
export type PkiErrorCode =
  | 'invalid-identity'
  | 'invalid-trust-domain'
  | 'invalid-common-name'
  | 'invalid-dns-name'
  | 'invalid-ip'
  | 'invalid-validity'
  | 'invalid-key'
  | 'invalid-certificate'
  | 'invalid-csr'
  | 'csr-identity-mismatch'
  | 'not-a-ca'
  | 'ca-key-mismatch'
  | 'ca-expired';

export class PkiError extends Error {
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PkiError';
    this.code = code;
  }
}
