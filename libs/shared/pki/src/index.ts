// Outrigger's PKI, pure: SPIFFE identities, key pairs, the mesh CA, workload leaves, and reading
// and checking certificates. Files and sockets stay with the callers; anything time-dependent takes `now`.
// `@outrigger/pki/read` (read.ts) is the reading and checking part alone, without node-forge.
export * from './read.ts';
export { generateKeyPair, type KeyPairPem } from './keys.ts';
export { createCa, type CertificateBundle } from './ca.ts';
export { issueLeaf } from './leaf.ts';
export { createCsr, parseCsr, signCsr, type CreateCsrOptions, type CsrParse, type SignCsrOptions } from './csr.ts';
