// The kernel resolver against real iptables REDIRECT rules in a network namespace this test creates
// (root only; CI runs as root), and the fake used by the proxy's unit tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { createFakeResolver, createKernelResolver } from './index.ts';

test('the fake answers by local port and throws ENOENT otherwise', () => {
  const fake = createFakeResolver(new Map([[15006, { address: '198.18.0.2', port: 8080, family: 4 as const }]]));
  assert.deepEqual(fake.resolve({ localPort: 15006 } as Socket), { address: '198.18.0.2', port: 8080, family: 4 });
  assert.throws(() => fake.resolve({ localPort: 1 } as Socket), { code: 'ENOENT' });
});

test('the kernel resolver says ENOENT for a connection that was not redirected', async () => {
  const resolver = createKernelResolver();
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  const socket = await accepted;
  try {
    assert.throws(() => resolver.resolve(socket), (err: NodeJS.ErrnoException) => err.code === 'ENOENT' || err.code === 'ENOPROTOOPT');
  } finally {
    client.destroy();
    socket.destroy();
    server.close();
  }
});

test('the kernel resolver rejects a socket without a descriptor', () => {
  const resolver = createKernelResolver();
  assert.throws(() => resolver.resolve({} as Socket), { code: 'EBADF' });
});
