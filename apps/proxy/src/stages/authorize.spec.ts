import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorize } from './authorize.ts';

const td = 'cluster.local';
const web = 'spiffe://cluster.local/ns/shop/sa/web';
const cases: Array<[string, string | null, string[] | undefined, boolean, string?]> = [
  ['no list allows a plaintext peer', null, undefined, true],
  ['no list allows any identity', web, undefined, true],
  ['a list refuses a peer without identity', null, ['*'], false, 'unauthenticated'],
  ['* allows any peer of the trust domain', web, ['*'], true],
  ['* refuses another trust domain', 'spiffe://other.example/ns/shop/sa/web', ['*'], false, 'not_allowed'],
  ['exact SPIFFE ID', web, [web], true],
  ['exact SPIFFE ID of another domain when listed', 'spiffe://other.example/ns/shop/sa/web', ['spiffe://other.example/ns/shop/sa/web'], true],
  ['ns/<ns>/* allows every SA of the namespace', web, ['ns/shop/*'], true],
  ['ns/<ns>/* refuses another namespace', 'spiffe://cluster.local/ns/billing/sa/web', ['ns/shop/*'], false, 'not_allowed'],
  ['ns/<ns>/sa/<sa> exact', web, ['ns/shop/sa/web'], true],
  ['ns/<ns>/sa/<sa> other SA', 'spiffe://cluster.local/ns/shop/sa/admin', ['ns/shop/sa/web'], false, 'not_allowed'],
  ['ns pattern does not match a prefix namespace', 'spiffe://cluster.local/ns/shopping/sa/web', ['ns/shop/*'], false, 'not_allowed'],
  ['empty list refuses everyone', web, [], false, 'not_allowed'],
  ['a malformed identity is refused', 'spiffe://cluster.local/x', ['*'], false, 'not_allowed'],
];
for (const [name, peer, allow, allowed, reason] of cases) {
  test(`authorize: ${name}`, () => {
    const decision = authorize(peer, allow, td);
    assert.equal(decision.allowed, allowed);
    if (!decision.allowed) assert.equal(decision.reason, reason);
  });
}
