// The workload identity in explicit mode: certificate, key and trust bundle read from PEM files,
// turned into the TLS context that listeners use, and described for /certs and the expiry gauge.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { describeCertificate, type CertificateInfo } from '@outrigger/pki';
import type { ProxyConfig } from '@outrigger/config';

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

export function loadIdentityFiles(identity: NonNullable<ProxyConfig['identity']>): LoadedIdentity {
  const cert = readPem(identity.certFile, 'certificate');
  const key = readPem(identity.keyFile, 'private key');
  const ca = identity.trustBundleFile ? readPem(identity.trustBundleFile, 'trust bundle') : undefined;
  let certificate: CertificateInfo;
  try {
    certificate = describeCertificate(cert);
  } catch (err) {
    throw new IdentityError(identity.certFile, `not a valid certificate: ${(err as Error).message}`, err);
  }
  try {
    // TLS 1.2 at least; node never renegotiates as a server unless asked, and we never ask.
    const contextOptions: SecureContextOptions = { cert, key, ca, minVersion: 'TLSv1.2' };
    // Built once here so that a key that does not match the certificate fails at start.
    const secureContext = createSecureContext(contextOptions);
    const bundleFingerprint = createHash('sha256').update(ca ?? '').digest('hex').slice(0, 16);
    return { contextOptions, secureContext, certificate, bundleFingerprint };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const file = /key/i.test(e.message) ? identity.keyFile : /ca|bundle/i.test(e.message) && identity.trustBundleFile ? identity.trustBundleFile : identity.certFile;
    throw new IdentityError(file, `TLS rejected the identity files: ${e.message}`, err);
  }
}
