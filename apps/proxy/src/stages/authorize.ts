// Authorization of an inbound connection by its peer's SPIFFE ID against the port's allow-list:
// `spiffe://td/ns/x/sa/y`, `ns/x/sa/y` and `ns/x/*` (in the mesh trust domain), or `*` (any
// authenticated mesh peer). No list means everyone the inbound mode lets in. Pure.
import { parseSpiffeId } from '@outrigger/pki/read';

export type AuthzDecision = { allowed: true } | { allowed: false; reason: 'unauthenticated' | 'not_allowed' };

export function authorize(peerIdentity: string | null, allow: readonly string[] | undefined, trustDomain: string): AuthzDecision {
  if (allow === undefined) return { allowed: true };
  if (!peerIdentity) return { allowed: false, reason: 'unauthenticated' };
  const parsed = parseSpiffeId(peerIdentity);
  if (!parsed.ok) return { allowed: false, reason: 'not_allowed' };
  const { id } = parsed;
  const local = id.trustDomain === trustDomain;
  for (const pattern of allow) {
    if (pattern === '*' && local) return { allowed: true };
    if (pattern.startsWith('spiffe://') && pattern === peerIdentity) return { allowed: true };
    if (!local) continue;
    const [, ns, kind, sa] = pattern.split('/');
    if (pattern.startsWith('ns/') && ns === id.namespace && ((kind === '*' && sa === undefined) || (kind === 'sa' && sa === id.serviceAccount))) return { allowed: true };
  }
  return { allowed: false, reason: 'not_allowed' };
}
