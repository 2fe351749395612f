// Workload certificates (X.509-SVIDs): the SPIFFE ID in a URI SAN, usable for both ends of mTLS,
// signed by the mesh CA and never outliving it.
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import type { CertificateBundle } from './ca.ts';
import { CLOCK_SKEW_MS, isCaCertificate, randomSerialHex, readCertificate, subjectKeyIdBytes, toBinaryString } from './certificate-fields.ts';
import { PkiError } from './errors.ts';
import { generateKeyPair, loadKeyPair, readRsaPrivateKey, toForge, type KeyPairPem } from './keys.ts';
import { checkDnsName, checkIpAddress } from './san-values.ts';
import { formatSpiffeId, validateSpiffeId, type SpiffeId } from './spiffe-id.ts';

export interface IssueLeafOptions {
  ca: CertificateBundle;
  identity: SpiffeId;
  dnsNames?: string[];
  ipAddresses?: string[];
  validityHours?: number;
  now?: Date;
  keyPair?: KeyPairPem;
}

const HOUR_MS = 60 * 60 * 1000;
const MAX_COMMON_NAME = 64;

export function issueLeaf(opts: IssueLeafOptions): CertificateBundle {
  const plan = planLeaf(opts);
  const keys = loadKeyPair(opts.keyPair ?? generateKeyPair(), 'leaf');
  return { certPem: buildLeaf(plan, keys.publicKey), keyPem: keys.privateKeyPem };
}

/** Everything a leaf needs except its public key, checked; shared with signCsr so that a
 * certificate signed from a CSR has exactly the profile of one issued with a fresh key. */
export interface LeafPlan {
  ca: LoadedCa;
  identity: SpiffeId;
  dnsNames: string[];
  ipAddresses: Uint8Array[];
  notBefore: Date;
  notAfter: Date;
}

export function planLeaf(opts: Omit<IssueLeafOptions, 'keyPair'>): LeafPlan {
  const identityProblem = validateSpiffeId(opts.identity);
  if (identityProblem !== undefined) throw new PkiError('invalid-identity', `invalid identity: ${identityProblem}`);
  const dnsNames = (opts.dnsNames ?? []).map(checkDnsName);
  const ipAddresses = (opts.ipAddresses ?? []).map(checkIpAddress);
  const validityHours = opts.validityHours ?? 24;
  if (!Number.isFinite(validityHours) || validityHours <= 0) {
    throw new PkiError('invalid-validity', `the certificate validity must be a positive number of hours (got ${validityHours})`);
  }
  const now = (opts.now ?? new Date()).getTime();
  const ca = loadCa(opts.ca);
  const caNotAfter = ca.cert.validity.notAfter.getTime();
  if (caNotAfter <= now) {
    throw new PkiError('ca-expired', `the CA certificate expired at ${ca.cert.validity.notAfter.toISOString()}; create a new CA`);
  }
  return {
    ca,
    identity: opts.identity,
    dnsNames,
    ipAddresses,
    // A leaf valid outside its CA's window fails verification there anyway; say so in the cert.
    notBefore: new Date(Math.max(now - CLOCK_SKEW_MS, ca.cert.validity.notBefore.getTime())),
    notAfter: new Date(Math.min(now + Math.round(validityHours * HOUR_MS), caNotAfter)),
  };
}

export function buildLeaf(plan: LeafPlan, publicKey: forge.pki.rsa.PublicKey): string {
  const { ca } = plan;
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = plan.notBefore;
  cert.validity.notAfter = plan.notAfter;

  const sa = plan.identity.serviceAccount;
  // RFC 5280 4.2.1.6: with an empty subject the SAN carries the whole name and must be critical.
  const subject = sa.length <= MAX_COMMON_NAME ? [{ name: 'commonName', value: sa }] : [];
  cert.setSubject(subject);
  cert.setIssuer(ca.cert.subject.attributes);
  const altNames = [
    { type: 6, value: formatSpiffeId(plan.identity) },
    ...plan.dnsNames.map((value) => ({ type: 2, value })),
    ...plan.ipAddresses.map((bytes) => ({ type: 7, value: toBinaryString(bytes) })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: subjectKeyIdBytes(ca.cert) },
    { name: 'subjectAltName', altNames, critical: subject.length === 0 },
  ]);
  cert.sign(ca.privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

interface LoadedCa {
  cert: forge.pki.Certificate;
  privateKey: forge.pki.rsa.PrivateKey;
}

function loadCa(bundle: CertificateBundle): LoadedCa {
  const cert = readCertificate(bundle.certPem, 'CA certificate');
  if (!isCaCertificate(cert)) throw new PkiError('not-a-ca', 'the CA certificate is not a CA (its basicConstraints lack cA=true)');
  const key = readRsaPrivateKey(bundle.keyPem, 'CA');
  if (!new X509Certificate(bundle.certPem).checkPrivateKey(key)) {
    throw new PkiError('ca-key-mismatch', 'the CA private key does not belong to the CA certificate');
  }
  return { cert, privateKey: toForge(key).privateKey };
}
