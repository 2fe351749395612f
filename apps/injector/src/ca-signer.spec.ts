// `ca-signer` as it runs: a real process against a local TokenReview server, asked by curl (a real
// client) and judged by openssl. The property that matters most: a token for one ServiceAccount
// never gets a certificate for another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { createCsr, generateKeyPair, type SpiffeId } from '@outrigger/pki';
import { run, start, startFakeTokenReview, withTempDir, type FakeTokenReview, type Started } from '@outrigger/testing';

const MAIN = join(import.meta.dirname, 'main.ts');
const id = (namespace: string, serviceAccount: string): SpiffeId => ({ trustDomain: 'cluster.local', namespace, serviceAccount });
const keys = generateKeyPair();
const csrFor = (identity: SpiffeId) => createCsr({ keyPair: keys, identity });

interface Signer {
  dir: string;
  api: FakeTokenReview;
  proc: Started;
  url: string;
  /** POSTs with curl; returns the HTTP status and the parsed JSON answer. */
  post(body: string | object, token?: string): Promise<{ status: number; json: Record<string, string> }>;
}

async function withSigner(fn: (s: Signer) => Promise<void>, extraArgs: string[] = []): Promise<void> {
  await withTempDir(async (dir) => {
    assert.equal((await run(process.execPath, [MAIN, 'ca', 'init', '--dir', join(dir, 'ca')])).code, 0);
    const api = await startFakeTokenReview(dir, {
      'web-token': { user: 'system:serviceaccount:shop:web', audiences: ['outrigger'] },
      'a-token': { user: 'system:serviceaccount:shop:a', audiences: ['outrigger'] },
      'other-audience-token': { user: 'system:serviceaccount:shop:web', audiences: ['other'] },
      'human-token': { user: 'alice@example.com', audiences: ['outrigger'] },
      'api-error-token': { httpStatus: 500 },
    });
    const proc = start(process.execPath, [MAIN, 'ca-signer', '--ca-dir', join(dir, 'ca'), '--listen', '127.0.0.1:0', '--ip', '127.0.0.1',
      '--kube-api', api.url, '--kube-token-file', api.tokenFile, '--kube-ca-file', api.caFile, ...extraArgs]);
    try {
      const line = await proc.waitForLine(/"msg":"listening"/, 15_000);
      const { address, port } = JSON.parse(line) as { address: string; port: number };
      assert.equal(address, '127.0.0.1');
      const url = `https://127.0.0.1:${port}`;
      let n = 0;
      const post = async (body: string | object, token?: string) => {
        const file = join(dir, `body-${n++}.json`);
        writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
        const auth = token === undefined ? [] : ['-H', `Authorization: Bearer ${token}`];
        const r = await run('curl', ['-sS', '--cacert', join(dir, 'ca', 'ca.crt'), '-X', 'POST', '-H', 'content-type: application/json', ...auth,
          '--data-binary', `@${file}`, '-w', '\n%{http_code}', `${url}/v1/certificates`]);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.trimEnd().split('\n');
        return { status: Number(lines.pop()), json: JSON.parse(lines.join('\n')) as Record<string, string> };
      };
      await fn({ dir, api, proc, url, post });
    } finally {
      await proc.stop();
      await api.close();
    }
  });
}

test('a ServiceAccount token and a CSR for that ServiceAccount get a certificate openssl verifies', async () => {
  await withSigner(async ({ dir, api, post }) => {
    const { status, json } = await post({ csr: csrFor(id('shop', 'web')) }, 'web-token');
    assert.equal(status, 200, JSON.stringify(json));
    writeFileSync(join(dir, 'web.crt'), json.certificate ?? '');
    assert.equal(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca', 'ca.crt'), join(dir, 'web.crt')], { encoding: 'utf8' }).trim(), `${join(dir, 'web.crt')}: OK`);
    const cert = new X509Certificate(json.certificate ?? '');
    assert.equal(cert.subjectAltName, 'URI:spiffe://cluster.local/ns/shop/sa/web');
    assert.ok(cert.publicKey.equals(createPublicKey(keys.publicKeyPem)), 'the certificate holds the key of the CSR');
    assert.equal(json.caBundle, readFileSync(join(dir, 'ca', 'ca.crt'), 'utf8'));
    assert.equal(json.expiresAt, cert.validToDate.toISOString());
    const hours = (cert.validToDate.getTime() - Date.now()) / 3600_000;
    assert.ok(hours > 23.9 && hours <= 24, `24 h lifetime, got ${hours}`);
    const review = api.requests.at(-1)?.body as { spec: { token: string; audiences: string[] } };
    assert.deepEqual(review.spec, { token: 'web-token', audiences: ['outrigger'] });
  });
});

test('a token for ServiceAccount a cannot get a certificate for b, nor for a with extra names', async () => {
  await withSigner(async ({ post, dir }) => {
    for (const [csr, asked] of [
      [csrFor(id('shop', 'b')), 'spiffe://cluster.local/ns/shop/sa/b'],
      [csrFor(id('other', 'a')), 'spiffe://cluster.local/ns/other/sa/a'],
      [csrFor({ ...id('shop', 'a'), trustDomain: 'evil.example' }), 'spiffe://evil.example/ns/shop/sa/a'],
    ] as const) {
      const { status, json } = await post({ csr }, 'a-token');
      assert.equal(status, 403);
      assert.equal(json.error, 'identity_mismatch');
      assert.equal(json.certificate, undefined);
      assert.match(json.message ?? '', new RegExp(`asks for URI ${asked.replace(/[./]/g, '\\$&')}, but only spiffe://cluster\\.local/ns/shop/sa/a may be signed`));
    }
    writeFileSync(join(dir, 'a.key'), keys.privateKeyPem);
    const withDns = execFileSync('openssl', ['req', '-new', '-key', join(dir, 'a.key'), '-subj', '/CN=a', '-addext',
      'subjectAltName=URI:spiffe://cluster.local/ns/shop/sa/a,DNS:kubernetes.default.svc'], { encoding: 'utf8' });
    const extra = await post({ csr: withDns }, 'a-token');
    assert.deepEqual([extra.status, extra.json.error], [403, 'identity_mismatch']);
    assert.equal((await post({ csr: csrFor(id('shop', 'a')) }, 'a-token')).status, 200, 'while a for a works');
  });
});

test('no token, a rejected token, a token for another audience: 401; a user that is not a ServiceAccount: 403', async () => {
  await withSigner(async ({ post, api }) => {
    const body = { csr: csrFor(id('shop', 'web')) };
    const none = await post(body);
    assert.deepEqual([none.status, none.json.error], [401, 'unauthenticated']);
    assert.match(none.json.message ?? '', /no bearer token/);
    assert.equal(api.requests.length, 0, 'no TokenReview without a token');
    const rejected = await post(body, 'forged-token');
    assert.deepEqual([rejected.status, rejected.json.error], [401, 'unauthenticated']);
    assert.match(rejected.json.message ?? '', /did not authenticate the token: \[invalid bearer token/);
    const audience = await post(body, 'other-audience-token');
    assert.deepEqual([audience.status, audience.json.error], [401, 'unauthenticated']);
    const human = await post(body, 'human-token');
    assert.deepEqual([human.status, human.json.error], [403, 'not_a_service_account']);
  });
});

test('bad requests are 400 with a reason; API failures 502; other paths 404 and 405', async () => {
  await withSigner(async ({ post, url, dir, api }) => {
    const cases: Array<[string | object, RegExp]> = [
      ['not json', /not JSON/],
      [{ certificate: 'x' }, /no "csr" string/],
      [{ csr: 'hello' }, /not a PEM certificate request/],
      [{ csr: csrFor(id('shop', 'web')).replace(/[A-Za-z]{8}\r?\n/, 'AAAAAAAA\n') }, /CSR/],
      [{ csr: 'x'.repeat(70 * 1024) }, /larger than 64 KiB/],
    ];
    for (const [body, message] of cases) {
      const { status, json } = await post(body, 'web-token');
      assert.deepEqual([status, json.error], [400, 'bad_request'], JSON.stringify(json));
      assert.match(json.message ?? '', message);
    }
    const failing = await post({ csr: csrFor(id('shop', 'web')) }, 'api-error-token');
    assert.deepEqual([failing.status, failing.json.error], [502, 'token_review_failed']);
    await api.close();
    const down = await post({ csr: csrFor(id('shop', 'web')) }, 'web-token');
    assert.deepEqual([down.status, down.json.error], [502, 'token_review_failed']);
    assert.match(down.json.message ?? '', /cannot reach the API server .*ECONNREFUSED/);

    const curl = async (...args: string[]) => (await run('curl', ['-sS', '--cacert', join(dir, 'ca', 'ca.crt'), '-o', '/dev/null', '-w', '%{http_code}', ...args])).stdout;
    assert.equal(await curl(`${url}/healthz`), '200');
    assert.equal(await curl(`${url}/v1/certificates`), '405');
    assert.equal(await curl(`${url}/v2/anything`), '404');
  });
});

test('every request is one JSON log line on stderr, and no token ever appears in the log', async () => {
  await withSigner(async ({ post, proc }) => {
    const csr = csrFor(id('shop', 'web'));
    await post({ csr }, 'web-token');
    await post({ csr: csrFor(id('shop', 'b')) }, 'a-token');
    await post({ csr: 'nope' }, 'forged-token');
    await proc.waitForLine(/"error":"bad_request"/);
    const records = proc.stderr().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.msg === 'request');
    assert.deepEqual(records.map((r) => [r.status, r.error, r.identity]), [
      [200, undefined, 'spiffe://cluster.local/ns/shop/sa/web'],
      [403, 'identity_mismatch', 'spiffe://cluster.local/ns/shop/sa/a'],
      [400, 'bad_request', undefined],
    ]);
    assert.equal(typeof records[0]?.serial, 'string');
    assert.equal(typeof records[0]?.duration_ms, 'number');
    for (const secret of ['web-token', 'a-token', 'forged-token', 'signer-own-sa-token', csr.split('\n')[1] ?? 'csr']) {
      assert.ok(!proc.stderr().includes(secret) && !proc.stdout().includes(secret), `${secret} not logged:\n${proc.stderr()}`);
    }
  });
});

test('--validity-seconds sets a short lifetime; --tls-cert and --tls-key serve the given certificate', async () => {
  await withTempDir(async (dir) => {
    assert.equal((await run(process.execPath, [MAIN, 'ca', 'init', '--dir', join(dir, 'ca')])).code, 0);
    const issued = await run(process.execPath, [MAIN, 'ca', 'issue', '--ca-dir', join(dir, 'ca'), '--out', join(dir, 'tls'), '--namespace', 'outrigger-system',
      '--service-account', 'ca', '--ip', '127.0.0.1']);
    assert.equal(issued.code, 0, issued.stderr);
    await withSigner(async ({ post, url, dir: signerDir, proc }) => {
      // The listening line names the operator's certificate, not an identity of our own.
      const listening = JSON.parse(await proc.waitForLine(/"msg":"listening"/)) as Record<string, unknown>;
      assert.deepEqual([listening.serving_cert, listening.serving_identity], [join(dir, 'tls', 'tls.crt'), undefined]);
      writeFileSync(join(signerDir, 'ca', 'ca.crt'), readFileSync(join(dir, 'ca', 'ca.crt'))); // curl trusts the CA of the files
      const { json } = await post({ csr: csrFor(id('shop', 'web')) }, 'web-token');
      const lifetime = new X509Certificate(json.certificate ?? '').validToDate.getTime() - Date.now();
      assert.ok(lifetime > 0 && lifetime <= 30_000, `lifetime ${lifetime} ms`);
      const served = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port), ca: readFileSync(join(dir, 'ca', 'ca.crt')) }, () => {
          resolve(socket.getPeerCertificate().serialNumber);
          socket.end();
        }).on('error', reject);
      });
      assert.equal(served, new X509Certificate(readFileSync(join(dir, 'tls', 'tls.crt'))).serialNumber);
    }, ['--validity-seconds', '30', '--tls-cert', join(dir, 'tls', 'tls.crt'), '--tls-key', join(dir, 'tls', 'tls.key')]);
  });
});

test('bad flags exit 1 naming the flag', async () => {
  await withTempDir(async (dir) => {
    const signer = (...args: string[]) => run(process.execPath, [MAIN, 'ca-signer', ...args], { env: { ...process.env, KUBERNETES_SERVICE_HOST: '' } });
    const cases: Array<[string[], RegExp]> = [
      [['--kube-api', 'https://127.0.0.1:1'], /^ca-signer: --ca-dir is required/],
      [['--ca-dir', dir, '--kube-api', 'https://127.0.0.1:1', '--listen', 'localhost'], /--listen must be ADDRESS:PORT/],
      [['--ca-dir', dir, '--listen', '127.0.0.1:0'], /--kube-api is required when KUBERNETES_SERVICE_HOST is not set/],
      [['--ca-dir', dir, '--kube-api', 'http://127.0.0.1:1'], /--kube-api must be an https:\/\/ URL/],
      [['--ca-dir', dir, '--kube-api', 'https://127.0.0.1:1', '--validity-hours', '200'], /at most 168 hours/],
      [['--ca-dir', dir, '--kube-api', 'https://127.0.0.1:1', '--tls-cert', 'x'], /--tls-cert and --tls-key go together/],
      [['--ca-dir', join(dir, 'none'), '--kube-api', 'https://127.0.0.1:1'], /cannot read the CA certificate .*ca\.crt: no such file or directory \(create the CA first/],
    ];
    for (const [args, message] of cases) {
      const r = await signer(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
