// Checks a leaf against a trust bundle at a given time: signed by one of the CAs, both valid then,
// and a leaf rather than a CA. Which identities may connect is authorization's business, not this.
import type { X509Certificate } from 'node:crypto';
import { PkiError } from './errors.ts';
import { formatName, parseX509 } from './describe.ts';

export type LeafVerification = { ok: true } | { ok: false; reason: string };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function verifyLeaf(leafPem: string, caPems: string[], now: Date = new Date()): LeafVerification {
  const bundle = parseTrustBundle(caPems);
  if (!bundle.ok) return bundle;
  let leaf: X509Certificate;
  try {
    leaf = parseX509(leafPem, 'leaf certificate');
  } catch (err) {
    if (err instanceof PkiError) return { ok: false, reason: err.message };
    throw err;
  }
  return verifyLeafCertificate(leaf, bundle.cas, now);
}

export type TrustBundle = { ok: true; cas: X509Certificate[] } | { ok: false; reason: string };

/** The bundle parsed once, for a server that checks a certificate per handshake (verifyLeafCertificate). */
export function parseTrustBundle(caPems: string[]): TrustBundle {
  try {
    // A bundle entry may hold several certificates, as ca.crt does while a CA is rolled.
    return { ok: true, cas: caPems.flatMap((pem) => pem.match(PEM_CERTIFICATE) ?? [pem]).map((pem) => parseX509(pem, 'trust bundle certificate')) };
  } catch (err) {
    if (err instanceof PkiError) return { ok: false, reason: err.message };
    throw err;
  }
}

/** verifyLeaf for a certificate and a bundle already parsed (node's X509Certificate). */
export function verifyLeafCertificate(leaf: X509Certificate, cas: readonly X509Certificate[], now: Date = new Date()): LeafVerification {
  if (cas.length === 0) return { ok: false, reason: 'the trust bundle is empty' };
  if (leaf.ca) return { ok: false, reason: 'the certificate is a CA certificate, not a leaf' };
  const timeProblem = validityProblem(leaf, now, 'the certificate');
  if (timeProblem !== undefined) return { ok: false, reason: timeProblem };

  // checkIssued compares names, key identifiers and keyCertSign; verify checks the signature.
  const issuers = cas.filter((ca) => ca.ca && leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
  if (issuers.length === 0) {
    return { ok: false, reason: `the certificate (issuer ${formatName(leaf.issuer)}) is not signed by any CA in the trust bundle` };
  }
  const problems = issuers.map((ca) => validityProblem(ca, now, 'the issuing CA'));
  if (problems.some((p) => p === undefined)) return { ok: true };
  return { ok: false, reason: problems[0] ?? 'the issuing CA is not valid' };
}

function validityProblem(cert: X509Certificate, now: Date, what: string): string | undefined {
  if (now < cert.validFromDate) return `${what} is not valid until ${cert.validFromDate.toISOString()}`;
  if (now > cert.validToDate) return `${what} expired at ${cert.validToDate.toISOString()}`;
  return undefined;
}

