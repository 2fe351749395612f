// The TokenReview client against a local HTTPS server answering as the documented API does: the
// request it sends, and each answer it can get (yes, no, wrong audience, not a ServiceAccount,
// HTTP errors, garbage, silence, an unreachable or untrusted server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeTokenReview, withTempDir, type FakeTokenReview } from '@outrigger/testing';
import { createCa } from '@outrigger/pki';
import { createTokenReviewVerifier, TokenReviewError, type TokenReviewOptions } from './token-review.ts';

async function withApi(fn: (api: FakeTokenReview, options: TokenReviewOptions) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const api = await startFakeTokenReview(dir, {
      'web-token': { user: 'system:serviceaccount:shop:web', audiences: ['outrigger'] },
      'revoked-token': { rejected: '[invalid bearer token, service account token has been invalidated]' },
      'other-audience-token': { user: 'system:serviceaccount:shop:web', audiences: ['other'] },
      'api-audience-token': { user: 'system:serviceaccount:shop:web', audiences: [] },
      'human-token': { user: 'alice@example.com', audiences: ['outrigger'] },
      'error-token': { httpStatus: 500 },
      'garbage-token': { raw: '{"kind":"TokenReview", "status": ' },
      'no-status-token': { raw: '{"kind":"TokenReview"}' },
      'stall-token': { stall: true },
    });
    try {
      await fn(api, { apiUrl: api.url, tokenFile: api.tokenFile, caFile: api.caFile, audience: 'outrigger', timeoutMs: 10_000 });
    } finally {
      await api.close();
    }
  });
}

const failsWith = (message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof TokenReviewError, String(err));
  assert.match(err.message, message);
  return true;
};

test('an authenticated ServiceAccount token: the request is a documented TokenReview, the answer its namespace and SA', async () => {
  await withApi(async (api, options) => {
    const verdict = await createTokenReviewVerifier(options).verify('web-token');
    assert.deepEqual(verdict, { kind: 'service-account', authenticated: true, namespace: 'shop', serviceAccount: 'web' });
    assert.equal(api.requests.length, 1);
    const [sent] = api.requests;
    assert.deepEqual(sent, {
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/tokenreviews',
      authorization: 'Bearer signer-own-sa-token',
      contentType: 'application/json',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'web-token', audiences: ['outrigger'] } },
    });
  });
});

test('the signer re-reads its own token for every review, since the kubelet rotates it', async () => {
  await withApi(async (api, options) => {
    const verifier = createTokenReviewVerifier(options);
    await verifier.verify('web-token');
    writeFileSync(api.tokenFile, 'rotated-token\n'); // the kubelet's rewrite; the fake now expects it too
    assert.equal((await verifier.verify('web-token')).kind, 'service-account');
    assert.equal(api.requests.at(-1)?.authorization, 'Bearer rotated-token');
    const stale = join(api.tokenFile, '..', 'stale-token');
    writeFileSync(stale, 'signer-own-sa-token\n');
    await assert.rejects(createTokenReviewVerifier({ ...options, tokenFile: stale }).verify('web-token'), failsWith(/HTTP 401 to the TokenReview: Unauthorized/));
  });
});

test('a token the API server does not authenticate is rejected with its status.error', async () => {
  await withApi(async (_api, options) => {
    assert.deepEqual(await createTokenReviewVerifier(options).verify('revoked-token'), {
      kind: 'rejected',
      authenticated: false,
      reason: 'the API server did not authenticate the token: [invalid bearer token, service account token has been invalidated]',
    });
    const unknown = await createTokenReviewVerifier(options).verify('nobody-knows-this');
    assert.equal(unknown.kind, 'rejected');
  });
});

test('an authenticated token without our audience in status.audiences is rejected', async () => {
  await withApi(async (_api, options) => {
    const verifier = createTokenReviewVerifier(options);
    assert.deepEqual(await verifier.verify('other-audience-token'), {
      kind: 'rejected', authenticated: false, reason: 'the token is not for the audience "outrigger" (it is for "other")',
    });
    // Documented: an empty status.audiences means the token is valid for the API server itself only.
    assert.deepEqual(await verifier.verify('api-audience-token'), {
      kind: 'rejected', authenticated: false, reason: 'the token is not for the audience "outrigger" (no audience was confirmed)',
    });
  });
});

test('a user that is not a ServiceAccount is named as such', async () => {
  await withApi(async (_api, options) => {
    assert.deepEqual(await createTokenReviewVerifier(options).verify('human-token'), { kind: 'other-user', authenticated: true, username: 'alice@example.com' });
  });
});

test('HTTP errors, malformed answers and silence are failures of the review, not verdicts', async () => {
  await withApi(async (_api, options) => {
    // Answers that arrive get the generous timeout (a loaded CI machine is slow to handshake);
    // silence gets a short one, so the test shows the timeout bounds the call.
    const verifier = createTokenReviewVerifier(options);
    await assert.rejects(verifier.verify('error-token'), failsWith(/^the API server answered HTTP 500 to the TokenReview: fake API error 500$/));
    await assert.rejects(verifier.verify('garbage-token'), failsWith(/answer is not JSON/));
    await assert.rejects(verifier.verify('no-status-token'), failsWith(/answer has no status/));
    const started = Date.now();
    await assert.rejects(createTokenReviewVerifier({ ...options, timeoutMs: 500 }).verify('stall-token'), failsWith(/did not answer the TokenReview within 500 ms/));
    assert.ok(Date.now() - started < 3000, 'the timeout bounds the call');
  });
});

test('an unreachable API server, an untrusted one, or a missing own token fail with the reason', async () => {
  await withApi(async (api, options) => {
    await api.close();
    await assert.rejects(createTokenReviewVerifier(options).verify('web-token'), failsWith(/cannot reach the API server at https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/));
  });
  await withApi(async (api, options) => {
    const otherCa = join(api.caFile, '..', 'other-ca.crt');
    writeFileSync(otherCa, createCa({ trustDomain: 'cluster.local' }).certPem);
    await assert.rejects(createTokenReviewVerifier({ ...options, caFile: otherCa }).verify('web-token'), failsWith(/cannot reach the API server .*\((SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO)/));
    await assert.rejects(createTokenReviewVerifier({ ...options, tokenFile: '/nonexistent/token' }).verify('web-token'),
      failsWith(/cannot read the signer's own ServiceAccount token \/nonexistent\/token \(ENOENT\)/));
    assert.equal(api.requests.length, 0, 'nothing was sent to an untrusted server');
  });
});
