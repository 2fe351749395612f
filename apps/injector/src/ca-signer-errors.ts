// The closed set of answers the CA signer gives instead of a certificate: one snake_case kind each,
// with its HTTP status. Clients branch on the kind; docs/reference/cli.md lists them (a test checks).

export const SIGNER_ERRORS = {
  bad_request: { status: 400, description: 'The body is not JSON, has no "csr", is over 64 KiB, or the CSR is invalid (not PEM, not RSA 2048+, signature does not verify).' },
  unauthenticated: { status: 401, description: 'No bearer token, or the TokenReview API did not authenticate it for the audience.' },
  not_a_service_account: { status: 403, description: 'The token is valid but belongs to a user that is not a ServiceAccount.' },
  identity_mismatch: { status: 403, description: "The CSR asks for an identity other than the token's ServiceAccount (or for more than it)." },
  not_found: { status: 404, description: 'No such path: the signer serves POST /v1/certificates and GET /healthz.' },
  method_not_allowed: { status: 405, description: 'The path exists, the method does not (see the Allow header).' },
  internal: { status: 500, description: 'A failure inside the signer, such as an expired CA; the signer log says which.' },
  token_review_failed: { status: 502, description: 'The Kubernetes API server could not be asked: unreachable, too slow (5 s), an HTTP error, or an answer that is not a TokenReview.' },
} as const;

export type SignerErrorKind = keyof typeof SIGNER_ERRORS;

export class SignerError extends Error {
  readonly kind: SignerErrorKind;

  constructor(kind: SignerErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SignerError';
    this.kind = kind;
  }

  get status(): number {
    return SIGNER_ERRORS[this.kind].status;
  }
}
