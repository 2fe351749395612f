// The workload identity: certificate, key and trust bundle (read from PEM files, or obtained from the
// CA signer) turned into the TLS context that listeners use, and described for /certs and the expiry gauge.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { describeCertificate, type CertificateInfo } from '@outrigger/pki/read';

export interface LoadedIdentity {
  contextOptions: SecureContextOptions;
  secureContext: SecureContext;
  certificate: CertificateInfo;
  /** Identifies the trust bundle's content, so a CA roll counts as a change. */
  bundleFingerprint: string;
}

export class IdentityError extends Error {
  readonly file: string;
  constructor(file: string, message: string, cause?: unknown) {
    super(`${file}: ${message}`, { cause });
    this.name = 'IdentityError';
    this.file = file;
  }
}

function readPem(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new IdentityError(file, `cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  if (!text.includes('-----BEGIN ')) throw new IdentityError(file, `the ${what} is not PEM (no -----BEGIN line)`);
  return text;
}

/** What in an identity was refused: the certificate unreadable, or TLS rejecting a part of it. */
export type IdentityProblem = 'unreadable-certificate' | 'certificate' | 'key' | 'bundle';

export class IdentityMaterialError extends Error {
  readonly problem: IdentityProblem;
  /** The reader's or TLS's own words, for callers that phrase the message themselves. */
  readonly detail: string;
  constructor(problem: IdentityProblem, detail: string, cause: unknown) {
    super(problem === 'unreadable-certificate' ? `not a valid certificate: ${detail}` : `TLS rejected the identity: ${detail}`, { cause });
    this.name = 'IdentityMaterialError';
    this.problem = problem;
    this.detail = detail;
  }
}

/** The one way a LoadedIdentity is made, whichever source the PEM came from (files, the CA signer). */
export function buildIdentity(certPem: string, keyPem: string, bundlePem: string | undefined): LoadedIdentity {
  let certificate: CertificateInfo;
  try {
    certificate = describeCertificate(certPem);
  } catch (err) {
    throw new IdentityMaterialError('unreadable-certificate', (err as Error).message, err);
  }
  try {
    // TLS 1.2 at least; node never renegotiates as a server unless asked, and we never ask.
    const contextOptions: SecureContextOptions = { cert: certPem, key: keyPem, ca: bundlePem, minVersion: 'TLSv1.2' };
    // Built once here so that a key that does not match the certificate fails at start.
    const secureContext = createSecureContext(contextOptions);
    const bundleFingerprint = createHash('sha256').update(bundlePem ?? '').digest('hex').slice(0, 16);
    return { contextOptions, secureContext, certificate, bundleFingerprint };
  } catch (err) {
    const detail = (err as Error).message;
    const problem = /key/i.test(detail) ? 'key' : /ca|bundle/i.test(detail) && bundlePem !== undefined ? 'bundle' : 'certificate';
    throw new IdentityMaterialError(problem, detail, err);
  }
}

/** PEM files of the `files` identity source. */
export interface IdentityFiles {
  certFile: string;
  keyFile: string;
  trustBundleFile?: string | undefined;
}

export function loadIdentityFiles(identity: IdentityFiles): LoadedIdentity {
  const cert = readPem(identity.certFile, 'certificate');
  const key = readPem(identity.keyFile, 'private key');
  const ca = identity.trustBundleFile ? readPem(identity.trustBundleFile, 'trust bundle') : undefined;
  try {
    return buildIdentity(cert, key, ca);
  } catch (err) {
    if (!(err instanceof IdentityMaterialError)) throw err;
    if (err.problem === 'unreadable-certificate') throw new IdentityError(identity.certFile, err.message, err.cause);
    const file = err.problem === 'key' ? identity.keyFile : err.problem === 'bundle' && identity.trustBundleFile ? identity.trustBundleFile : identity.certFile;
    throw new IdentityError(file, `TLS rejected the identity files: ${err.detail}`, err.cause);
  }
}
