// The CA signer's HTTPS endpoint: POST /v1/certificates turns a workload's CSR and projected
// ServiceAccount token into a certificate for exactly that ServiceAccount; GET /healthz for probes.
// Every request ends in one log record, which never holds the token or the CSR.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describeCertificate, formatSpiffeId, parseCsr, PkiError, signCsr, validateSpiffeId, type CertificateBundle } from '@outrigger/pki';
import { SignerError, type SignerErrorKind } from './ca-signer-errors.ts';
import { TokenReviewError, type TokenVerdict, type TokenVerifier } from './token-review.ts';

export interface SignerOptions {
  ca: CertificateBundle;
  /** Sent back as caBundle: the mesh trust bundle (ca.crt, which holds two CAs during a roll). */
  caBundlePem: string;
  trustDomain: string;
  verifier: TokenVerifier;
  validitySeconds: number;
  log: (record: RequestRecord) => void;
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  remote?: string;
  error?: SignerErrorKind;
  message?: string;
  identity?: string;
  serial?: string;
  expires_at?: string;
}

export const MAX_BODY_BYTES = 64 * 1024;
const BEARER = /^Bearer +(\S+)\s*$/i;

export function createSignerHandler(opts: SignerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const record: RequestRecord = { method: req.method ?? '', path, status: 0, duration_ms: 0, remote: req.socket.remoteAddress };
    const finish = (status: number, body: object, headers: Record<string, string> = {}) => {
      record.status = status;
      record.duration_ms = Math.round(performance.now() - started);
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(`${JSON.stringify(body)}\n`);
      opts.log(record);
    };
    const refuse = (err: SignerError, headers?: Record<string, string>) => {
      Object.assign(record, { error: err.kind, message: err.message });
      finish(err.status, { error: err.kind, message: err.message }, headers);
    };
    if (path === '/healthz') {
      if (req.method === 'GET' || req.method === 'HEAD') return finish(200, { status: 'ok' });
      return refuse(new SignerError('method_not_allowed', `${req.method} is not allowed on ${path}; use GET`), { allow: 'GET, HEAD' });
    }
    if (path !== '/v1/certificates') return refuse(new SignerError('not_found', `no such path ${path}; certificates are requested with POST /v1/certificates`));
    if (req.method !== 'POST') return refuse(new SignerError('method_not_allowed', `${req.method} is not allowed on ${path}; use POST`), { allow: 'POST' });
    issue(opts, req, record).then(
      (issued) => finish(200, issued),
      (err: unknown) => {
        const known = err instanceof SignerError ? err : new SignerError('internal', `the certificate could not be signed: ${(err as Error).message}`, { cause: err });
        // The body may still be arriving (a refusal before reading it); close rather than read on.
        const headers: Record<string, string> = req.complete ? {} : { connection: 'close' };
        if (known.kind === 'unauthenticated') headers['www-authenticate'] = 'Bearer';
        refuse(known, headers);
      },
    );
  };
}

async function issue(opts: SignerOptions, req: IncomingMessage, record: RequestRecord): Promise<{ certificate: string; caBundle: string; expiresAt: string }> {
  const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
  if (token === undefined) throw new SignerError('unauthenticated', 'no bearer token: send the projected ServiceAccount token as "Authorization: Bearer <token>"');
  const csrPem = readCsrField(await readBody(req));
  const csr = parseCsr(csrPem);
  if (!csr.ok) throw new SignerError('bad_request', csr.reason);

  let verdict: TokenVerdict;
  try {
    verdict = await opts.verifier.verify(token);
  } catch (err) {
    if (err instanceof TokenReviewError) throw new SignerError('token_review_failed', `the token could not be checked: ${err.message}`, { cause: err });
    throw err;
  }
  if (verdict.kind === 'rejected') throw new SignerError('unauthenticated', verdict.reason);
  if (verdict.kind === 'other-user') {
    throw new SignerError('not_a_service_account', `the token belongs to ${JSON.stringify(verdict.username)}, which is not a ServiceAccount; only ServiceAccount tokens get mesh certificates`);
  }
  const identity = { trustDomain: opts.trustDomain, namespace: verdict.namespace, serviceAccount: verdict.serviceAccount };
  if (validateSpiffeId(identity) !== undefined) {
    throw new SignerError('not_a_service_account', `the ServiceAccount ${verdict.namespace}/${verdict.serviceAccount} cannot be written as a SPIFFE ID`);
  }
  record.identity = formatSpiffeId(identity);
  let certificate: string;
  try {
    // signCsr refuses a CSR that asks for anything but `identity`: the token proved that one only.
    certificate = signCsr({ ca: opts.ca, csrPem, identity, validityHours: opts.validitySeconds / 3600 });
  } catch (err) {
    if (err instanceof PkiError && err.code === 'csr-identity-mismatch') throw new SignerError('identity_mismatch', err.message, { cause: err });
    if (err instanceof PkiError && err.code === 'invalid-csr') throw new SignerError('bad_request', err.message, { cause: err });
    throw err;
  }
  const info = describeCertificate(certificate);
  record.serial = info.serialNumber;
  record.expires_at = info.notAfter.toISOString();
  return { certificate, caBundle: opts.caBundlePem, expiresAt: info.notAfter.toISOString() };
}

function readBody(req: IncomingMessage): Promise<string> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else reject(tooLarge()); // the rest is drained and dropped until the connection closes
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const tooLarge = () => new SignerError('bad_request', `the request body is larger than ${MAX_BODY_BYTES / 1024} KiB`);

function readCsrField(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new SignerError('bad_request', 'the request body is not JSON; send {"csr": "<PEM certificate request>"}');
  }
  const csr = (parsed as { csr?: unknown } | null)?.csr;
  if (typeof csr !== 'string' || csr === '') throw new SignerError('bad_request', 'the request body has no "csr" string; send {"csr": "<PEM certificate request>"}');
  return csr;
}

export interface RunningSigner {
  server: Server;
  address: string;
  port: number;
  /** Swaps the serving certificate for new handshakes; open connections keep theirs. */
  setServingCertificate(tls: { cert: string; key: string }): void;
  close(): Promise<void>;
}

export async function startSignerServer(opts: SignerOptions & { host: string; port: number; tls: { cert: string; key: string } }): Promise<RunningSigner> {
  const server = createServer({ ...opts.tls, minVersion: 'TLSv1.2', handshakeTimeout: 10_000 }, createSignerHandler(opts));
  // Slow clients must not hold connections: the whole request within 10 s, headers within 5 s.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    server,
    address: bound.address,
    port: bound.port,
    setServingCertificate: (tls) => server.setSecureContext({ ...tls, minVersion: 'TLSv1.2' }),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}
