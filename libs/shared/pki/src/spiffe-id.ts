// SPIFFE IDs: the workload identity carried in every mesh certificate's URI SAN.
// Parsing follows the SPIFFE ID spec, then narrows to Outrigger's spiffe://<td>/ns/<ns>/sa/<sa> shape.

export interface SpiffeId {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

export type SpiffeParse = { ok: true; id: SpiffeId; uri: string } | { ok: false; reason: string };

const SCHEME = 'spiffe://';
// SPIFFE ID spec section 2.3: the whole URI, in bytes.
const MAX_URI_BYTES = 2048;
// SPIFFE ID spec section 2.1: a trust domain is a DNS-like name, so bounded as one.
const MAX_TRUST_DOMAIN = 255;
const TRUST_DOMAIN_CHARS = /^[a-z0-9._-]+$/;
const SEGMENT_CHARS = /^[A-Za-z0-9._-]+$/;
// Kubernetes names: a namespace is a DNS-1123 label, a ServiceAccount a DNS-1123 subdomain.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SHAPE = 'Outrigger IDs look like spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>';

export function formatSpiffeId(id: SpiffeId): string {
  return `${SCHEME}${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** Returns why the trust domain is not acceptable, or undefined. */
export function trustDomainProblem(trustDomain: string): string | undefined {
  if (trustDomain === '') return 'the trust domain is empty';
  if (trustDomain.length > MAX_TRUST_DOMAIN) return `the trust domain is longer than ${MAX_TRUST_DOMAIN} characters`;
  if (TRUST_DOMAIN_CHARS.test(trustDomain)) return undefined;
  if (TRUST_DOMAIN_CHARS.test(trustDomain.toLowerCase())) return `the trust domain ${q(trustDomain)} must be lowercase`;
  return `the trust domain ${q(trustDomain)} contains a character other than a-z, 0-9, '.', '-' and '_'`;
}

function namespaceProblem(namespace: string): string | undefined {
  if (namespace.length <= 63 && DNS1123_LABEL.test(namespace)) return undefined;
  return `the namespace ${q(namespace)} is not a Kubernetes namespace name (a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)`;
}

function serviceAccountProblem(serviceAccount: string): string | undefined {
  if (serviceAccount.length <= 253 && DNS1123_SUBDOMAIN.test(serviceAccount)) return undefined;
  return `the service account ${q(serviceAccount)} is not a Kubernetes ServiceAccount name (a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit)`;
}

export function validateSpiffeId(id: SpiffeId): string | undefined {
  const problem = trustDomainProblem(id.trustDomain) ?? namespaceProblem(id.namespace) ?? serviceAccountProblem(id.serviceAccount);
  if (problem !== undefined) return problem;
  if (byteLength(formatSpiffeId(id)) > MAX_URI_BYTES) return `the SPIFFE ID is longer than ${MAX_URI_BYTES} bytes`;
  return undefined;
}

export function parseSpiffeId(uri: string): SpiffeParse {
  const fail = (reason: string): SpiffeParse => ({ ok: false, reason });
  if (uri === '') return fail('the SPIFFE ID is empty');
  if (byteLength(uri) > MAX_URI_BYTES) return fail(`the SPIFFE ID is longer than ${MAX_URI_BYTES} bytes`);
  if (!uri.startsWith(SCHEME)) {
    if (uri.toLowerCase().startsWith(SCHEME)) return fail(`the scheme must be lowercase 'spiffe://' (got ${q(uri.slice(0, SCHEME.length))})`);
    return fail(`a SPIFFE ID must start with 'spiffe://' (got ${q(uri)})`);
  }
  if (uri.includes('?')) return fail('a SPIFFE ID must not have a query (\'?\')');
  if (uri.includes('#')) return fail('a SPIFFE ID must not have a fragment (\'#\')');

  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  if (trustDomain.includes('@')) return fail('a SPIFFE ID must not have userinfo (\'user@\') before the trust domain');
  if (trustDomain.includes(':')) return fail('a SPIFFE ID must not have a port after the trust domain');
  const tdProblem = trustDomainProblem(trustDomain);
  if (tdProblem !== undefined) return fail(tdProblem);

  if (path === '' || path === '/') return fail(`the SPIFFE ID has no path; ${SHAPE}`);
  if (path.endsWith('/')) return fail('the path must not end with \'/\'');
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '') return fail('the path contains an empty segment (\'//\')');
    if (segment === '.' || segment === '..') return fail(`the path contains a ${q(segment)} segment, which SPIFFE IDs forbid`);
    if (!SEGMENT_CHARS.test(segment)) {
      return fail(`the path segment ${q(segment)} contains a character other than A-Z, a-z, 0-9, '.', '-' and '_'`);
    }
  }

  const [ns, namespace, sa, serviceAccount] = segments;
  if (segments.length !== 4 || ns !== 'ns' || sa !== 'sa' || namespace === undefined || serviceAccount === undefined) {
    return fail(`the path ${q(path)} is not /ns/<namespace>/sa/<service-account>; ${SHAPE}`);
  }
  const problem = namespaceProblem(namespace) ?? serviceAccountProblem(serviceAccount);
  if (problem !== undefined) return fail(problem);
  return { ok: true, id: { trustDomain, namespace, serviceAccount }, uri };
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Quotes a value for a message so that spaces, empty strings and control characters stay visible. */
function q(value: string): string {
  return JSON.stringify(value);
}
