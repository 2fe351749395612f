// Who holds a ServiceAccount token, asked of the Kubernetes TokenReview API (authentication.k8s.io/v1).
// The CA signer sees only this interface; tests put a local HTTPS server where the API server would be.
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';

export type TokenVerdict =
  | { kind: 'service-account'; authenticated: true; namespace: string; serviceAccount: string }
  | { kind: 'other-user'; authenticated: true; username: string }
  | { kind: 'rejected'; authenticated: false; reason: string };

export interface TokenVerifier {
  /** Resolves with the API server's verdict; rejects with TokenReviewError when there is none. */
  verify(token: string): Promise<TokenVerdict>;
}

/** The API server could not give a verdict: unreachable, slow, an HTTP error, or an answer we cannot read. */
export class TokenReviewError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TokenReviewError';
  }
}

export interface TokenReviewOptions {
  /** https://HOST:PORT of the API server. */
  apiUrl: string;
  /** The signer's own ServiceAccount token: re-read on every call, since the kubelet rotates it. */
  tokenFile: string;
  /** The cluster CA that signs the API server's certificate. */
  caFile: string;
  audience: string;
  timeoutMs?: number;
}

const PATH = '/apis/authentication.k8s.io/v1/tokenreviews';
const MAX_RESPONSE_BYTES = 1024 * 1024;
// A ServiceAccount name cannot hold ':' (DNS-1123), so the split is unambiguous.
const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

export function createTokenReviewVerifier(opts: TokenReviewOptions): TokenVerifier {
  const url = new URL(PATH, opts.apiUrl);
  const timeoutMs = opts.timeoutMs ?? 5000;
  return {
    async verify(token) {
      const ownToken = (await readOrFail(opts.tokenFile, 'the signer\'s own ServiceAccount token')).trim();
      const ca = await readOrFail(opts.caFile, 'the Kubernetes CA file');
      const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [opts.audience] } });
      const { status, text } = await post(url, body, { ownToken, ca, timeoutMs });
      if (status < 200 || status > 299) {
        throw new TokenReviewError(`the API server answered HTTP ${status} to the TokenReview${statusMessage(text)}`);
      }
      return readVerdict(text, opts.audience);
    },
  };
}

/** Reads a TokenReview response as the API reference documents its status. */
export function readVerdict(text: string, audience: string): TokenVerdict {
  let review: unknown;
  try {
    review = JSON.parse(text);
  } catch (err) {
    throw new TokenReviewError('the API server\'s TokenReview answer is not JSON', { cause: err });
  }
  const status = (review as { status?: unknown } | null)?.status;
  if (typeof status !== 'object' || status === null) throw new TokenReviewError('the API server\'s TokenReview answer has no status');
  const { authenticated, user, audiences, error } = status as { authenticated?: unknown; user?: { username?: unknown }; audiences?: unknown; error?: unknown };
  if (authenticated !== true) {
    const why = typeof error === 'string' && error !== '' ? `: ${error}` : '';
    return { kind: 'rejected', authenticated: false, reason: `the API server did not authenticate the token${why}` };
  }
  // The API reference: a client that sets spec.audiences must find one of them in status.audiences;
  // an empty list means a token for the API server itself, which must not be accepted here.
  const granted = Array.isArray(audiences) ? audiences.filter((a): a is string => typeof a === 'string') : [];
  if (!granted.includes(audience)) {
    const had = granted.length === 0 ? 'no audience was confirmed' : `it is for ${granted.map((a) => JSON.stringify(a)).join(', ')}`;
    return { kind: 'rejected', authenticated: false, reason: `the token is not for the audience ${JSON.stringify(audience)} (${had})` };
  }
  const username = user?.username;
  if (typeof username !== 'string' || username === '') throw new TokenReviewError('the API server authenticated the token but named no user');
  const sa = SA_USER.exec(username);
  if (sa === null || sa[1] === undefined || sa[2] === undefined) return { kind: 'other-user', authenticated: true, username };
  return { kind: 'service-account', authenticated: true, namespace: sa[1], serviceAccount: sa[2] };
}

async function readOrFail(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new TokenReviewError(`cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

function post(url: URL, body: string, opts: { ownToken: string; ca: string; timeoutMs: number }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const fail = (message: string, cause?: unknown) => {
      clearTimeout(timer);
      req.destroy();
      reject(new TokenReviewError(message, { cause }));
    };
    const req = request(url, {
      method: 'POST',
      ca: opts.ca,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${opts.ownToken}`,
      },
    });
    // One deadline for the whole exchange: connect, TLS, and the answer's last byte.
    const timer = setTimeout(() => fail(`the API server at ${url.origin} did not answer the TokenReview within ${opts.timeoutMs} ms`), opts.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => fail(`cannot reach the API server at ${url.origin} (${err.code ?? err.message})`, err));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) fail(`the API server's TokenReview answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
        else chunks.push(chunk);
      });
      res.on('error', (err) => fail(`the API server's TokenReview answer broke off (${err.message})`, err));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(body);
  });
}

// A failed call answers with a metav1.Status whose message says why (RBAC, usually). Only that
// field is quoted: the rest of an answer may echo the token under review.
function statusMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    return typeof message === 'string' && message !== '' ? `: ${message.slice(0, 300)}` : '';
  } catch {
    return '';
  }
}
