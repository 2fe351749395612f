// `npm run demo:mesh --once` as a user would run it: the request crosses both sidecars, and the
// demo removes everything it created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { isRoot, listNamespaces, run } from '@outrigger/testing';

const root = resolve(import.meta.dirname, '..', '..');

test('the one-machine mesh demo shows a request through both sidecars and cleans up', { skip: isRoot() ? false : 'needs root (CI runs as root)' }, async () => {
  const r = await run(process.execPath, [join(root, 'examples', 'src', 'mesh-demo.ts'), '--once'], { timeoutMs: 120_000, cwd: root });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /hello from the legacy app/);
  assert.match(r.stdout, /outrigger_requests_total\{direction="outbound",status_code="200"[^}]*authority="198\.18\.0\.2:8080"\} 1/);
  assert.match(r.stdout, /outrigger_requests_total\{direction="inbound",status_code="200",classification="success",tls="mutual",peer_identity="spiffe:\/\/cluster\.local\/ns\/demo\/sa\/client"[^}]*\} 1/);
  assert.match(r.stdout, /removed both namespaces/);
  const left = (await listNamespaces()).filter((ns) => ns.startsWith('outrigger-demo-'));
  assert.deepEqual(left, []);
});
