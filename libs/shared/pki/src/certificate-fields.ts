// What every certificate Outrigger builds shares: serial numbers, the clock-skew allowance, and
// reading PEM into forge with errors a person can act on.
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { PkiError } from './errors.ts';

// Peers whose clocks run a little behind must still accept a certificate issued just now.
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** RFC 5280 4.1.2.2: positive, at most 20 octets; 16 random bytes make collisions moot. */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  // A clear top bit keeps the DER INTEGER positive; a non-zero first byte keeps it minimal.
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return bytes.toString('hex');
}

export function readCertificate(pem: string, what: string): forge.pki.Certificate {
  try {
    return forge.pki.certificateFromPem(pem);
  } catch (err) {
    const detail = err instanceof Error ? `: ${err.message}` : '';
    throw new PkiError('invalid-certificate', `the ${what} is not a PEM RSA certificate${detail}`, { cause: err });
  }
}

/** The key identifier the certificate declares, or the one RFC 5280 method 1 derives for it. */
export function subjectKeyIdBytes(cert: forge.pki.Certificate): string {
  const ext = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  if (ext?.subjectKeyIdentifier) return forge.util.hexToBytes(ext.subjectKeyIdentifier);
  return cert.generateSubjectKeyIdentifier().getBytes();
}

export function isCaCertificate(cert: forge.pki.Certificate): boolean {
  const ext = cert.getExtension('basicConstraints') as { cA?: boolean } | undefined;
  return ext?.cA === true;
}

export function toBinaryString(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}
