// The mesh root CA: a self-signed certificate for one trust domain, which signs every workload leaf.
import forge from 'node-forge';
import { CLOCK_SKEW_MS, randomSerialHex } from './certificate-fields.ts';
import { PkiError } from './errors.ts';
import { generateKeyPair, loadKeyPair, type KeyPairPem } from './keys.ts';
import { trustDomainProblem } from './spiffe-id.ts';

export interface CertificateBundle {
  certPem: string;
  keyPem: string;
}

export interface CreateCaOptions {
  trustDomain: string;
  commonName?: string;
  validityDays?: number;
  now?: Date;
  keyPair?: KeyPairPem;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// X.509 ub-common-name: longer CNs are rejected by strict verifiers.
const MAX_COMMON_NAME = 64;

export function createCa(opts: CreateCaOptions): CertificateBundle {
  const tdProblem = trustDomainProblem(opts.trustDomain);
  if (tdProblem !== undefined) throw new PkiError('invalid-trust-domain', tdProblem);
  const commonName = opts.commonName ?? defaultCommonName(opts.trustDomain);
  if (commonName === '' || commonName.length > MAX_COMMON_NAME) {
    throw new PkiError('invalid-common-name', `the CA common name must be 1 to ${MAX_COMMON_NAME} characters long`);
  }
  const validityDays = opts.validityDays ?? 365;
  if (!Number.isFinite(validityDays) || validityDays <= 0) {
    throw new PkiError('invalid-validity', `the CA validity must be a positive number of days (got ${validityDays})`);
  }
  const now = (opts.now ?? new Date()).getTime();
  const keys = loadKeyPair(opts.keyPair ?? generateKeyPair(), 'CA');

  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(now - CLOCK_SKEW_MS);
  cert.validity.notAfter = new Date(now + validityDays * DAY_MS);
  const name = [{ name: 'organizationName', value: 'Outrigger' }, { name: 'commonName', value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    // X.509-SVID spec 3: a signing certificate may name its trust domain; `ca issue` reads it back.
    { name: 'subjectAltName', altNames: [{ type: 6, value: `spiffe://${opts.trustDomain}` }] },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function defaultCommonName(trustDomain: string): string {
  const name = `Outrigger mesh CA (${trustDomain})`;
  return name.length <= MAX_COMMON_NAME ? name : 'Outrigger mesh CA';
}
