// `wait-ready`, the legacy sidecar's postStart hook: returns once the URL answers 200, fails at the
// deadline naming the last answer. Against a local HTTP server that turns ready after a while.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { run } from '@outrigger/testing';

const MAIN = join(import.meta.dirname, 'main.ts');

test('wait-ready waits through 503s for a 200, and gives up at the deadline', async () => {
  let ready = false;
  const server = createServer((_req, res) => res.writeHead(ready ? 200 : 503).end(ready ? 'ready' : 'not ready'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ready`;
  try {
    const late = setTimeout(() => (ready = true), 900);
    const waited = await run(process.execPath, [MAIN, 'wait-ready', '--url', url, '--timeout-seconds', '20']);
    clearTimeout(late);
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(waited.stdout, `wait-ready: ${url} is ready\n`);
    ready = false;
    const failed = await run(process.execPath, [MAIN, 'wait-ready', '--url', url, '--timeout-seconds', '1']);
    assert.equal(failed.code, 1);
    assert.equal(failed.stderr, `wait-ready: ${url} not ready within 1 s (last: HTTP 503)\n`);
    const refused = await run(process.execPath, [MAIN, 'wait-ready', '--url', 'http://127.0.0.1:1/ready', '--timeout-seconds', '1']);
    assert.match(refused.stderr, /not ready within 1 s \(last: ECONNREFUSED\)/);
  } finally {
    server.close();
  }
});
