// The rotation schedule (DESIGN section 4): renew at a fraction of a certificate's lifetime, spread
// by jitter so that proxies started together do not all come back to the CA at the same moment.

export interface RenewalOptions {
  /** When this holder received the certificate. */
  obtainedAt: Date;
  notBefore: Date;
  notAfter: Date;
  /** Fraction of the lifetime at which to renew, in (0, 1); DESIGN's default is 0.5. */
  renewAt: number;
  /** Spread, as a fraction of the lifetime, on either side of renewAt. */
  jitter: number;
  /** In [0, 1); Math.random unless a test pins it. */
  random?: () => number;
}

/** Checks a renewal policy; returns why it cannot work, or undefined. */
export function renewalPolicyProblem(renewAt: number, jitter: number): string | undefined {
  if (!(renewAt > 0 && renewAt < 1)) return `renewAt must be a fraction of the lifetime between 0 and 1 (got ${renewAt})`;
  if (!(jitter >= 0 && renewAt - jitter > 0 && renewAt + jitter < 1)) {
    return `jitter must be at least 0 and keep renewAt ± jitter between 0 and 1 (got renewAt ${renewAt}, jitter ${jitter})`;
  }
  return undefined;
}

export function planRenewal(opts: RenewalOptions): Date {
  // Leaves are backdated for clock skew (certificate-fields.ts), so the lifetime this holder can
  // use starts when it got the certificate; measured from notBefore, a short-lived certificate
  // would be renewed only after it had expired.
  const start = Math.max(opts.notBefore.getTime(), opts.obtainedAt.getTime());
  const end = opts.notAfter.getTime();
  if (end <= start) return new Date(start);
  const spread = ((opts.random ?? Math.random)() * 2 - 1) * opts.jitter;
  const fraction = Math.min(Math.max(opts.renewAt + spread, 0), 1);
  return new Date(start + Math.floor((end - start) * fraction));
}
