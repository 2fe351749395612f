// SPIFFE ID parsing: what the spec and the Outrigger shape accept and refuse, and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSpiffeId, parseSpiffeId, validateSpiffeId, type SpiffeId } from './spiffe-id.ts';

const accepted: Array<[string, SpiffeId]> = [
  ['spiffe://cluster.local/ns/default/sa/default', { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'default' }],
  ['spiffe://example.org/ns/shop/sa/web', { trustDomain: 'example.org', namespace: 'shop', serviceAccount: 'web' }],
  ['spiffe://td_1-x.io/ns/a/sa/b', { trustDomain: 'td_1-x.io', namespace: 'a', serviceAccount: 'b' }],
  ['spiffe://localhost/ns/kube-system/sa/coredns', { trustDomain: 'localhost', namespace: 'kube-system', serviceAccount: 'coredns' }],
  ['spiffe://cluster.local/ns/0ns/sa/my.service.account', { trustDomain: 'cluster.local', namespace: '0ns', serviceAccount: 'my.service.account' }],
  ['spiffe://c/ns/' + 'n'.repeat(63) + '/sa/s', { trustDomain: 'c', namespace: 'n'.repeat(63), serviceAccount: 's' }],
  ['spiffe://c/ns/n/sa/' + 's'.repeat(253), { trustDomain: 'c', namespace: 'n', serviceAccount: 's'.repeat(253) }],
];

for (const [uri, id] of accepted) {
  test(`parseSpiffeId accepts ${uri.slice(0, 60)}`, () => {
    assert.deepEqual(parseSpiffeId(uri), { ok: true, id, uri });
    assert.equal(formatSpiffeId(id), uri);
    assert.equal(validateSpiffeId(id), undefined);
  });
}

const rejected: Array<[name: string, uri: string, reason: RegExp]> = [
  ['empty', '', /is empty/],
  ['no scheme', 'cluster.local/ns/a/sa/b', /must start with 'spiffe:\/\/'/],
  ['other scheme', 'https://cluster.local/ns/a/sa/b', /must start with 'spiffe:\/\/'/],
  ['uppercase scheme', 'SPIFFE://cluster.local/ns/a/sa/b', /scheme must be lowercase/],
  ['single slash', 'spiffe:/cluster.local/ns/a/sa/b', /must start with 'spiffe:\/\/'/],
  ['no trust domain', 'spiffe:///ns/a/sa/b', /trust domain is empty/],
  ['uppercase trust domain', 'spiffe://Cluster.Local/ns/a/sa/b', /trust domain "Cluster.Local" must be lowercase/],
  ['bad trust domain char', 'spiffe://clu$ter/ns/a/sa/b', /trust domain "clu\$ter" contains a character/],
  ['percent-encoded trust domain', 'spiffe://a%2eb/ns/a/sa/b', /trust domain "a%2eb" contains a character/],
  ['port', 'spiffe://cluster.local:8080/ns/a/sa/b', /must not have a port/],
  ['userinfo', 'spiffe://user@cluster.local/ns/a/sa/b', /must not have userinfo/],
  ['query', 'spiffe://cluster.local/ns/a/sa/b?x=1', /must not have a query/],
  ['fragment', 'spiffe://cluster.local/ns/a/sa/b#frag', /must not have a fragment/],
  ['no path', 'spiffe://cluster.local', /has no path/],
  ['root path', 'spiffe://cluster.local/', /has no path/],
  ['trailing slash', 'spiffe://cluster.local/ns/a/sa/b/', /must not end with '\/'/],
  ['empty segment', 'spiffe://cluster.local/ns//sa/b', /empty segment/],
  ['dot segment', 'spiffe://cluster.local/ns/./sa/b', /"\." segment/],
  ['dot-dot segment', 'spiffe://cluster.local/ns/a/sa/../b', /"\.\." segment/],
  ['percent-encoded segment', 'spiffe://cluster.local/ns/a%20b/sa/b', /segment "a%20b" contains a character/],
  ['space in segment', 'spiffe://cluster.local/ns/a b/sa/b', /segment "a b" contains a character/],
  ['unicode segment', 'spiffe://cluster.local/ns/caf\u00e9/sa/b', /segment "caf\u00e9" contains a character/],
  ['not the ns/sa shape', 'spiffe://cluster.local/workload/web', /is not \/ns\/<namespace>\/sa\/<service-account>/],
  ['swapped keywords', 'spiffe://cluster.local/sa/a/ns/b', /is not \/ns\/<namespace>\/sa\/<service-account>/],
  ['extra segment', 'spiffe://cluster.local/ns/a/sa/b/c', /is not \/ns\/<namespace>\/sa\/<service-account>/],
  ['uppercase namespace', 'spiffe://cluster.local/ns/Shop/sa/web', /namespace "Shop" is not a Kubernetes namespace name/],
  ['namespace with a dot', 'spiffe://cluster.local/ns/a.b/sa/web', /namespace "a\.b"/],
  ['namespace ending in -', 'spiffe://cluster.local/ns/shop-/sa/web', /namespace "shop-"/],
  ['namespace too long', `spiffe://c/ns/${'n'.repeat(64)}/sa/s`, /namespace "n{64}"/],
  ['service account with _', 'spiffe://cluster.local/ns/a/sa/my_sa', /service account "my_sa" is not a Kubernetes ServiceAccount name/],
  ['service account with ..', 'spiffe://cluster.local/ns/a/sa/a..b', /service account "a\.\.b"/],
  ['service account too long', `spiffe://c/ns/n/sa/${'s'.repeat(254)}`, /service account "s{254}"/],
  ['longer than 2048 bytes', `spiffe://cluster.local/ns/a/sa/b${'/x'.repeat(1100)}`, /longer than 2048 bytes/],
];

for (const [name, uri, reason] of rejected) {
  test(`parseSpiffeId rejects: ${name}`, () => {
    const parsed = parseSpiffeId(uri);
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.match(parsed.reason, reason);
  });
}

test('validateSpiffeId names the field at fault', () => {
  const good = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web' };
  assert.equal(validateSpiffeId(good), undefined);
  assert.match(validateSpiffeId({ ...good, trustDomain: '' }) ?? '', /trust domain is empty/);
  assert.match(validateSpiffeId({ ...good, trustDomain: 'a/b' }) ?? '', /trust domain "a\/b" contains a character/);
  assert.match(validateSpiffeId({ ...good, namespace: 'a/b' }) ?? '', /namespace "a\/b"/);
  assert.match(validateSpiffeId({ ...good, serviceAccount: '' }) ?? '', /service account ""/);
  assert.match(validateSpiffeId({ ...good, trustDomain: 't'.repeat(256) }) ?? '', /longer than 255 characters/);
});

test('every valid id round-trips through format and parse', () => {
  const trustDomains = ['cluster.local', 'a', 'x_y-z.example.org'];
  const namespaces = ['default', 'a', 'kube-system', '9'];
  const accounts = ['default', 'a.b.c', 'web-1'];
  for (const trustDomain of trustDomains) {
    for (const namespace of namespaces) {
      for (const serviceAccount of accounts) {
        const id = { trustDomain, namespace, serviceAccount };
        const parsed = parseSpiffeId(formatSpiffeId(id));
        assert.deepEqual(parsed, { ok: true, id, uri: formatSpiffeId(id) });
      }
    }
  }
});
