// Certificate signing requests (PKCS#10) for the `ca` identity source: the workload makes one with
// its in-memory key, the CA signer reads it back and signs a leaf for exactly the proven identity.
import forge from 'node-forge';
import type { CertificateBundle } from './ca.ts';
import { PkiError } from './errors.ts';
import { loadKeyPair, type KeyPairPem } from './keys.ts';
import { buildLeaf, planLeaf } from './leaf.ts';
import { formatSpiffeId, validateSpiffeId, type SpiffeId } from './spiffe-id.ts';

export interface CreateCsrOptions {
  keyPair: KeyPairPem;
  identity: SpiffeId;
}

export type CsrParse =
  | { ok: true; publicKeyPem: string; uris: string[]; dnsNames: string[]; ipAddresses: string[] }
  | { ok: false; reason: string };

export interface SignCsrOptions {
  ca: CertificateBundle;
  csrPem: string;
  identity: SpiffeId;
  validityHours?: number;
  now?: Date;
}

const MAX_COMMON_NAME = 64;
// Below this an RSA key is breakable in practice (NIST SP 800-131A); our own keys are 2048 bits.
const MIN_RSA_BITS = 2048;

export function createCsr(opts: CreateCsrOptions): string {
  const problem = validateSpiffeId(opts.identity);
  if (problem !== undefined) throw new PkiError('invalid-identity', `invalid identity: ${problem}`);
  const keys = loadKeyPair(opts.keyPair, 'CSR');
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = keys.publicKey;
  const sa = opts.identity.serviceAccount;
  csr.setSubject(sa.length <= MAX_COMMON_NAME ? [{ name: 'commonName', value: sa }] : []);
  // PKCS#9 extensionRequest: where a CSR asks for extensions, here the SPIFFE ID as a URI SAN.
  csr.setAttributes([
    { name: 'extensionRequest', extensions: [{ name: 'subjectAltName', altNames: [{ type: 6, value: formatSpiffeId(opts.identity) }] }] },
  ]);
  csr.sign(keys.privateKey, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

export function parseCsr(pem: string): CsrParse {
  const read = readCsr(pem);
  if (!read.ok) return read;
  return { ok: true, publicKeyPem: read.publicKeyPem, uris: read.uris, dnsNames: read.dnsNames, ipAddresses: read.ipAddresses };
}

/** Signs a leaf for the CSR's key. The CSR must ask for `identity` and nothing else: the caller
 * proved that identity, and a request for any other name is refused rather than trimmed. */
export function signCsr(opts: SignCsrOptions): string {
  const plan = planLeaf({ ca: opts.ca, identity: opts.identity, validityHours: opts.validityHours, now: opts.now });
  const csr = readCsr(opts.csrPem);
  if (!csr.ok) throw new PkiError('invalid-csr', csr.reason);
  const expected = formatSpiffeId(opts.identity);
  const asked = [...csr.uris.map((u) => `URI ${u}`), ...csr.dnsNames.map((d) => `DNS ${d}`), ...csr.ipAddresses.map((i) => `IP ${i}`)];
  if (asked.length !== 1 || csr.uris[0] !== expected) {
    const what = asked.length === 0 ? 'no identity' : asked.join(', ');
    throw new PkiError('csr-identity-mismatch', `the CSR asks for ${what}, but only ${expected} may be signed for this caller`);
  }
  return buildLeaf(plan, csr.publicKey);
}

type CsrRead = (Extract<CsrParse, { ok: true }> & { publicKey: forge.pki.rsa.PublicKey }) | Extract<CsrParse, { ok: false }>;

function readCsr(pem: string): CsrRead {
  const fail = (reason: string): CsrRead => ({ ok: false, reason });
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
    return fail('the CSR is not a PEM certificate request (no -----BEGIN CERTIFICATE REQUEST----- line)');
  }
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(pem);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // forge reads only RSA keys; say what that means for the sender rather than forge's wording.
    if (/OID is not RSA/i.test(message)) return fail('the CSR\'s public key is not RSA; this CA signs only RSA keys');
    return fail(`the CSR cannot be decoded as PKCS#10 (${message})`);
  }
  const publicKey = csr.publicKey as forge.pki.rsa.PublicKey | null;
  if (publicKey === null) return fail('the CSR has no public key');
  const bits = publicKey.n.bitLength();
  if (bits < MIN_RSA_BITS) return fail(`the CSR's RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required`);
  let signed: boolean;
  try {
    signed = csr.verify();
  } catch {
    signed = false; // forge throws on a signature algorithm it does not know
  }
  if (!signed) return fail('the CSR\'s signature does not verify with its own public key (it was altered, or signed with another key)');

  const uris: string[] = [];
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const name of requestedAltNames(csr)) {
    if (name.type === 6 && typeof name.value === 'string') uris.push(name.value);
    else if (name.type === 2 && typeof name.value === 'string') dnsNames.push(name.value);
    else if (name.type === 7) ipAddresses.push(name.ip ?? '(an unreadable address)');
    else return fail(`the CSR asks for a subject alternative name of type ${name.type}; only URI, DNS and IP names are understood`);
  }
  return { ok: true, publicKey, publicKeyPem: forge.pki.publicKeyToPem(publicKey), uris, dnsNames, ipAddresses };
}

interface AltName {
  type: number;
  value?: unknown;
  ip?: string;
}

function requestedAltNames(csr: forge.pki.CertificateSigningRequest): AltName[] {
  const request = csr.getAttribute({ name: 'extensionRequest' });
  const extensions = (request?.extensions ?? []) as Array<{ name?: string; altNames?: AltName[] }>;
  return extensions.filter((e) => e.name === 'subjectAltName').flatMap((e) => e.altNames ?? []);
}
