// The upstream connect timeout needs an upstream that never answers a SYN: in a network namespace
// of the test's own, an iptables rule drops the SYNs to one loopback port. The proxy must answer
// 504 with x-outrigger-error: upstream_connect_timeout (HTTP) and log the same kind (TCP).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createPodPair, isRoot, run, start, waitFor, type PodPair, type Started } from '@outrigger/testing';

const PROXY = resolve(import.meta.dirname, '..', '..', 'apps', 'proxy', 'src', 'main.ts');

describe('timeouts.upstreamConnect', { skip: isRoot() ? false : 'needs root for a network namespace and iptables (CI runs as root)' }, () => {
  let pods: PodPair;
  let proxy: Started;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outrigger-connect-timeout-'));
    chmodSync(dir, 0o755);
    pods = await createPodPair('ortct');
    const drop = await run('ip', ['netns', 'exec', pods.a.ns, 'iptables', '-A', 'OUTPUT', '-o', 'lo', '-p', 'tcp', '--dport', '9', '--syn', '-j', 'DROP']);
    assert.equal(drop.code, 0, drop.stderr);
    writeFileSync(join(dir, 'proxy.yaml'), `admin: { address: 127.0.0.1, port: 15020 }
listeners:
  - { name: http, address: 127.0.0.1, port: 8080, tls: none, protocol: http, upstream: "127.0.0.1:9" }
  - { name: tcp, address: 127.0.0.1, port: 8081, tls: none, protocol: tcp, upstream: "127.0.0.1:9" }
accessLog: { stdout: true }
timeouts: { upstreamConnect: 1s }
`);
    proxy = start('ip', ['netns', 'exec', pods.a.ns, process.execPath, PROXY, '--config', join(dir, 'proxy.yaml')]);
    await proxy.waitForLine(/"msg":"ready"/);
  });

  after(async () => {
    await proxy?.stop();
    await pods?.destroy(); // the rule goes with the namespace
    rmSync(dir, { recursive: true, force: true });
  });

  test('HTTP: 504 with x-outrigger-error: upstream_connect_timeout after the timeout', async () => {
    const r = await run('ip', ['netns', 'exec', pods.a.ns, 'curl', '-sS', '--max-time', '10', '-D', '-', 'http://127.0.0.1:8080/slow-connect']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 504/);
    assert.match(r.stdout, /x-outrigger-error: upstream_connect_timeout/i);
  });

  test('TCP: the connection is closed and logged with upstream_connect_timeout (flag UF)', async () => {
    const r = await run('ip', ['netns', 'exec', pods.a.ns, 'curl', '-sS', '--max-time', '10', '-T', '-', 'telnet://127.0.0.1:8081'], { input: 'hello\n' });
    assert.equal(r.stdout, '');
    const line = await waitFor(() => proxy.stdout().split('\n').find((l) => l.includes('"protocol":"tcp"') && l.includes('upstream_connect_timeout')), 'the TCP access-log line');
    assert.match(line, /"response_flags":"UF"/);
  });
});
