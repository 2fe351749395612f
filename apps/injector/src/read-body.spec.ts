// readBody against a real node HTTP server and client on loopback: a body within the limit is read
// whole; one over it is read to its end and dropped before the answer (so the client is not cut off
// mid-send); one declared far over it is refused without reading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DISCARD_FACTOR, readBody, type BodyRead } from './read-body.ts';

const LIMIT = 1024;

async function send(body: Buffer, declared = body.length): Promise<{ read: BodyRead; complete: boolean; status: number }> {
  let seen: { read: BodyRead; complete: boolean } | null = null;
  const server = createServer((req: IncomingMessage, res) => {
    void readBody(req, LIMIT).then((read) => {
      seen = { read, complete: req.complete };
      res.writeHead(read.kind === 'ok' ? 200 : 400, { connection: 'close' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', method: 'POST', headers: { 'content-length': declared } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.ok(seen, 'the server answered');
    return { ...(seen as { read: BodyRead; complete: boolean }), status };
  } finally {
    server.close();
  }
}

test('a body within the limit is read whole', async () => {
  const r = await send(Buffer.from('x'.repeat(LIMIT)));
  assert.deepEqual(r.read, { kind: 'ok', text: 'x'.repeat(LIMIT) });
  assert.equal(r.status, 200);
});

test('a body over the limit is read to its end, dropped, and refused', async () => {
  const r = await send(Buffer.alloc(LIMIT * 2, 0x61));
  assert.deepEqual(r.read, { kind: 'too-large' });
  assert.equal(r.complete, true, 'read to its end before the answer');
  assert.equal(r.status, 400);
});

test(`a body declared over ${DISCARD_FACTOR}x the limit is refused without reading it`, async () => {
  const r = await send(Buffer.alloc(16), LIMIT * DISCARD_FACTOR + 1).catch((err: Error) => ({ read: { kind: 'too-large' } as BodyRead, complete: false, status: -1, err }));
  assert.deepEqual(r.read, { kind: 'too-large' });
  assert.equal(r.complete, false);
});
