// The `ca` identity source (DESIGN section 4): a key made in memory, a CSR sent with the projected
// ServiceAccount token to the CA signer, renewed at a fraction of the lifetime. A failed renewal
// keeps the identity in use and retries with backoff; listeners only ever see complete identities.
import { readFile } from 'node:fs/promises';
import { createCsr, describeCertificate, formatSpiffeId, generateKeyPair, planRenewal, renewalPolicyProblem, verifyLeaf, type SpiffeId } from '@outrigger/pki';
import { requestCertificate } from './ca-client.ts';
import { buildIdentity, type LoadedIdentity } from './identity.ts';
import { CaIdentityError, type IdentitySource } from './identity-source.ts';

export { CaIdentityError };

export interface CaSourceOptions {
  /** https URL of the CA signer, e.g. https://outrigger-ca.outrigger-system.svc:15012 */
  caAddress: string;
  /** The projected ServiceAccount token (audience outrigger); re-read for every request, as it rotates. */
  tokenFile: string;
  /** Verifies the signer's TLS. The mesh trust bundle is the one the signer returns. */
  caBundleFile: string;
  identity: SpiffeId;
  /** Fraction of the lifetime at which to renew (default 0.5). */
  renewAt?: number;
  /** Spread around renewAt, as a fraction of the lifetime (default 0.1). */
  jitter?: number;
  /** Backoff between failed attempts (default 1 s doubling to 30 s, each jittered). */
  retry?: { initialMs: number; maxMs: number };
  /** How long the first certificate may take before startCaIdentity rejects (default 30 s). */
  startTimeoutMs?: number;
  /** Bound on one request to the signer (default 10 s). */
  requestTimeoutMs?: number;
  onError: (err: Error) => void;
  now?: () => number;
  random?: () => number;
}


// setTimeout fires at once for delays past 2^31-1 ms; a week-long certificate needs no more.
const MAX_TIMER_MS = 2 ** 31 - 1;

export async function startCaIdentity(opts: CaSourceOptions): Promise<IdentitySource> {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const renewAt = opts.renewAt ?? 0.5;
  const jitter = opts.jitter ?? 0.1;
  const retry = opts.retry ?? { initialMs: 1000, maxMs: 30_000 };
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  const policyProblem = renewalPolicyProblem(renewAt, jitter);
  if (policyProblem !== undefined) throw new CaIdentityError(opts.caAddress, `ca identity source: ${policyProblem}`);
  const expected = formatSpiffeId(opts.identity);
  const backoff = (attempt: number) => {
    const ceiling = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempt, 30));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2); // "equal jitter": never zero, never in step
  };

  // A new key for every certificate: a leaked key is worth no more than the certificate it signed.
  const obtain = async (timeoutMs: number): Promise<LoadedIdentity> => {
    const token = (await readOrFail(opts.tokenFile, 'ServiceAccount token', opts.caAddress)).trim();
    const trustPem = await readOrFail(opts.caBundleFile, 'CA bundle', opts.caAddress);
    const keyPair = generateKeyPair();
    const csrPem = createCsr({ keyPair, identity: opts.identity });
    const signed = await requestCertificate({ caAddress: opts.caAddress, trustPem, token, csrPem, timeoutMs });
    const got = describeCertificate(signed.certificate).spiffeId;
    if (got !== expected) throw new CaIdentityError(opts.caAddress, `the CA signer at ${opts.caAddress} returned a certificate for ${got ?? 'no SPIFFE ID'}, not ${expected}`);
    const chain = verifyLeaf(signed.certificate, [signed.caBundle], new Date(now()));
    if (!chain.ok) throw new CaIdentityError(opts.caAddress, `the CA signer at ${opts.caAddress} returned a certificate its own bundle does not verify: ${chain.reason}`);
    return buildIdentity(signed.certificate, keyPair.privateKeyPem, signed.caBundle);
  };

  let identity = await firstIdentity(opts, obtain, backoff, now, requestTimeoutMs);
  let obtainedAt = now();
  const listeners: Array<(identity: LoadedIdentity) => void> = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const schedule = (delayMs: number, fn: () => void) => {
    timer = setTimeout(fn, Math.min(Math.max(delayMs, 0), MAX_TIMER_MS));
    timer.unref(); // the listeners keep the proxy alive; a renewal timer alone must not
  };
  const scheduleRenewal = () => {
    const { notBefore, notAfter } = identity.certificate;
    const when = planRenewal({ obtainedAt: new Date(obtainedAt), notBefore, notAfter, renewAt, jitter, random });
    schedule(when.getTime() - now(), () => void renew(0));
  };
  const renew = async (attempt: number) => {
    let next: LoadedIdentity;
    try {
      next = await obtain(requestTimeoutMs);
    } catch (err) {
      if (closed) return;
      const delay = backoff(attempt);
      const notAfter = identity.certificate.notAfter;
      const state = notAfter.getTime() > now() ? `keeping the current certificate (valid until ${notAfter.toISOString()})` : `the current certificate expired at ${notAfter.toISOString()}`;
      opts.onError(new CaIdentityError(opts.caAddress, `certificate renewal from ${opts.caAddress} failed; ${state}; retrying in ${delay} ms: ${(err as Error).message}`, { cause: err }));
      schedule(delay, () => void renew(attempt + 1));
      return;
    }
    if (closed) return;
    identity = next;
    obtainedAt = now();
    scheduleRenewal();
    for (const listener of listeners) listener(identity);
  };
  scheduleRenewal();

  return {
    current: () => identity,
    onChange: (listener) => void listeners.push(listener),
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}

async function readOrFail(file: string, what: string, caAddress: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CaIdentityError(caAddress, `cannot read the ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

/** Tries until the first certificate arrives or the start deadline passes; each failure is reported. */
async function firstIdentity(
  opts: CaSourceOptions,
  obtain: (timeoutMs: number) => Promise<LoadedIdentity>,
  backoff: (attempt: number) => number,
  now: () => number,
  requestTimeoutMs: number,
): Promise<LoadedIdentity> {
  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  const deadline = now() + startTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await obtain(Math.max(1, Math.min(requestTimeoutMs, deadline - now())));
    } catch (err) {
      const delay = backoff(attempt);
      if (now() + delay >= deadline) {
        const tries = attempt + 1;
        throw new CaIdentityError(opts.caAddress,
          `cannot get a certificate for ${formatSpiffeId(opts.identity)} from the CA signer at ${opts.caAddress} within ${startTimeoutMs} ms (${tries} attempt${tries === 1 ? '' : 's'}): ${(err as Error).message}`,
          { cause: err });
      }
      opts.onError(new CaIdentityError(opts.caAddress, `certificate request to ${opts.caAddress} failed; retrying in ${delay} ms: ${(err as Error).message}`, { cause: err }));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
