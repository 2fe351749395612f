// One certificate request to the CA signer (`outrigger-injector ca-signer`, docs/reference/cli.md):
// POST /v1/certificates with the projected ServiceAccount token and a CSR, over TLS verified by the
// mesh CA. Refusals come back as the signer's error kind; nothing here retries.
import { request } from 'node:https';

export interface SignedCertificate {
  certificate: string;
  caBundle: string;
  expiresAt: string;
}

export interface CertificateRequest {
  /** https://HOST:PORT of the signer. */
  caAddress: string;
  /** PEM that verifies the signer's serving certificate. */
  trustPem: string;
  token: string;
  csrPem: string;
  timeoutMs: number;
}

/** The signer answered with a refusal, or could not be asked. `kind` is the signer's error kind,
 * or 'unreachable' / 'timeout' / 'bad_response' when it gave none. */
export class CaRequestError extends Error {
  readonly kind: string;
  readonly status: number | undefined;
  constructor(kind: string, message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CaRequestError';
    this.kind = kind;
    this.status = status;
  }
}

const MAX_RESPONSE_BYTES = 256 * 1024;

export function requestCertificate(req: CertificateRequest): Promise<SignedCertificate> {
  const url = new URL('/v1/certificates', req.caAddress);
  const where = `the CA signer at ${url.origin}`;
  const body = JSON.stringify({ csr: req.csrPem });
  return new Promise((resolve, reject) => {
    const fail = (err: CaRequestError) => {
      clearTimeout(timer);
      call.destroy();
      reject(err);
    };
    const call = request(url, {
      method: 'POST',
      ca: req.trustPem,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${req.token}` },
    });
    const timer = setTimeout(() => fail(new CaRequestError('timeout', `${where} did not answer within ${req.timeoutMs} ms`)), req.timeoutMs);
    call.on('error', (err: NodeJS.ErrnoException) => fail(new CaRequestError('unreachable', `cannot reach ${where} (${err.code ?? err.message})`, undefined, { cause: err })));
    call.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) fail(new CaRequestError('bad_response', `${where} sent more than ${MAX_RESPONSE_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', (err) => fail(new CaRequestError('unreachable', `${where} broke off its answer (${err.message})`, undefined, { cause: err })));
      res.on('end', () => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        if (status !== 200) {
          const kind = typeof json?.error === 'string' ? json.error : 'bad_response';
          const why = typeof json?.message === 'string' ? `: ${json.message}` : '';
          return reject(new CaRequestError(kind, `${where} refused the certificate request (HTTP ${status} ${kind})${why}`, status));
        }
        const { certificate, caBundle, expiresAt } = json ?? {};
        if (typeof certificate !== 'string' || typeof caBundle !== 'string' || typeof expiresAt !== 'string') {
          return reject(new CaRequestError('bad_response', `${where} answered 200 without certificate, caBundle and expiresAt`, status));
        }
        resolve({ certificate, caBundle, expiresAt });
      });
    });
    call.end(body);
  });
}
