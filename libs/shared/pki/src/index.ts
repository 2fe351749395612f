// Outrigger's PKI, pure: SPIFFE identities, key pairs, the mesh CA, workload leaves, and reading
// and checking certificates. Files and sockets stay with the callers; anything time-dependent takes `now`.
export { formatSpiffeId, parseSpiffeId, validateSpiffeId, type SpiffeId, type SpiffeParse } from './spiffe-id.ts';
export { peerIdentityFromSubjectAltName } from './subject-alt-name.ts';
export { generateKeyPair, type KeyPairPem } from './keys.ts';
export { createCa, type CertificateBundle } from './ca.ts';
export { issueLeaf } from './leaf.ts';
export { describeCertificate, type CertificateInfo } from './describe.ts';
export { parseTrustBundle, verifyLeaf, verifyLeafCertificate, type TrustBundle } from './verify.ts';
export { createCsr, parseCsr, signCsr, type CreateCsrOptions, type CsrParse, type SignCsrOptions } from './csr.ts';
export { planRenewal, renewalPolicyProblem, type RenewalOptions } from './renewal.ts';
export { PkiError, type PkiErrorCode } from './errors.ts';
