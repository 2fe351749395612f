// What the admin server shows about the proxy itself: the effective config with secret values
// redacted (/config), and the identity in use with its trust bundle (/certs).
import { describeCertificate } from '@outrigger/pki/read';
import type { LoadedIdentity } from '../identity.ts';

const SECRET_KEY = /(password|secret|token|privatekey|keypem)$/i;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** A deep copy with the values of secret-looking keys replaced; file paths are not secrets. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && typeof v === 'string' ? '<redacted>' : redact(v)]));
  }
  return value;
}

export function describeIdentity(identity: LoadedIdentity | null): unknown {
  if (!identity) return { identity: null };
  const c = identity.certificate;
  const bundle = String(identity.contextOptions.ca ?? '').match(PEM_CERTIFICATE) ?? [];
  return {
    identity: c.spiffeId ?? null,
    certificate: { subject: c.subject, issuer: c.issuer, serialNumber: c.serialNumber, notBefore: c.notBefore, notAfter: c.notAfter, dnsNames: c.dnsNames, ipAddresses: c.ipAddresses, uris: c.uris },
    trustBundle: bundle.map((pem) => {
      const ca = describeCertificate(pem);
      return { subject: ca.subject, serialNumber: ca.serialNumber, notAfter: ca.notAfter, uris: ca.uris };
    }),
  };
}
