// Reading and checking certificates and SPIFFE identities, without node-forge: what a sidecar
// needs at run time. Issuing (keys, CSRs, the CA, leaves) is in the package's main entry, which
// loads node-forge (a sidecar that never issues saves its memory: docs/README.md).
export { formatSpiffeId, parseSpiffeId, validateSpiffeId, type SpiffeId, type SpiffeParse } from './spiffe-id.ts';
export { peerIdentityFromSubjectAltName } from './subject-alt-name.ts';
export { describeCertificate, type CertificateInfo } from './describe.ts';
export { parseTrustBundle, verifyLeaf, verifyLeafCertificate, type TrustBundle } from './verify.ts';
export { planRenewal, renewalPolicyProblem, type RenewalOptions } from './renewal.ts';
export { PkiError, type PkiErrorCode } from './errors.ts';
