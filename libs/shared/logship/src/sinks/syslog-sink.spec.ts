// The syslog sink against a local octet-counting receiver: batches are acknowledged only when the
// server closes in return; resets, refusals and silence become retries. Also over TLS.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, writeCertFixture } from '@outrigger/testing';
import type { LogLine } from '../log-line.ts';
import type { SyslogFormat } from '../render-syslog.ts';
import { startOctetServer } from '../testdata/octet-server.ts';
import { SyslogSink, type SyslogSinkOptions } from './syslog-sink.ts';

const format: SyslogFormat = { facility: 'local0', severity: 'info', hostname: 'h', appName: 'outrigger', procId: '1', msgId: 'access', structuredData: [], bom: true };
const lines = (from: number, n: number): LogLine[] => Array.from({ length: n }, (_, i) => ({ text: `{"seq":${from + i},"p":"é"}`, bytes: 20 }));
const options = (port: number, more: Partial<SyslogSinkOptions> = {}): SyslogSinkOptions => ({
  host: '127.0.0.1', port, format, connectTimeoutMs: 2000, confirmTimeoutMs: 2000, confirmBytes: 1 << 20, maxConnections: 4, ...more,
});
const bodies = (messages: string[]) => messages.map((m) => m.slice(m.indexOf('\uFEFF') + 1));

test('batches written on one connection are all acknowledged when the server closes after our end', async () => {
  const server = await startOctetServer();
  const sink = new SyslogSink(options(server.port));
  try {
    const sends = [sink.send({ seq: 0, lines: lines(0, 3) }), sink.send({ seq: 1, lines: lines(3, 2) })];
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.messages.length, 5, 'written before the confirmation');
    sink.flush();
    assert.deepEqual(await Promise.all(sends), [{ kind: 'ok' }, { kind: 'ok' }]);
    assert.deepEqual(bodies(server.messages), lines(0, 5).map((l) => l.text));
    assert.equal(server.connections, 2, 'the data connection, and the one that proves the server still takes connections');
  } finally {
    await sink.close();
    await server.close();
  }
});

test('past confirmBytes a connection confirms by itself and the next batch opens a new one', async () => {
  const server = await startOctetServer();
  const sink = new SyslogSink(options(server.port, { confirmBytes: 200 }));
  try {
    const results = await Promise.all([0, 1, 2, 3].map((i) => sink.send({ seq: i, lines: lines(i * 5, 5) })));
    assert.deepEqual(results.map((r) => r.kind), ['ok', 'ok', 'ok', 'ok']);
    assert.equal(server.messages.length, 20);
    assert.ok(server.connections >= 2, `${server.connections} connections`);
  } finally {
    await sink.close();
    await server.close();
  }
});

test('at most maxConnections carry batches at once; the others wait for one to be confirmed', async () => {
  const server = await startOctetServer();
  server.mode = 'never-close';
  const sink = new SyslogSink(options(server.port, { confirmBytes: 100, maxConnections: 2, confirmTimeoutMs: 300 }));
  try {
    const sends = [0, 1, 2, 3].map((i) => sink.send({ seq: i, lines: lines(i * 5, 5) }));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.connections, 2, 'two connections, both confirming, none answered yet');
    server.mode = 'normal';
    const results = await Promise.all(sends);
    assert.deepEqual(results.map((r) => r.kind), ['retry', 'retry', 'ok', 'ok'], 'the first two timed out; the waiting two went out after');
  } finally {
    await sink.close();
    await server.close();
  }
});

test('a server that resets the connection: every batch on it is retried as connection_lost', async () => {
  const server = await startOctetServer();
  server.mode = 'reset-on-data';
  const sink = new SyslogSink(options(server.port));
  try {
    const r = sink.send({ seq: 0, lines: lines(0, 3) });
    sink.flush();
    const result = await r;
    assert.equal(result.kind, 'retry');
    if (result.kind === 'retry') assert.equal(result.reason, 'connection_lost');
    server.mode = 'normal';
    const again = sink.send({ seq: 0, lines: lines(0, 3) });
    sink.flush();
    assert.deepEqual(await again, { kind: 'ok' });
  } finally {
    await sink.close();
    await server.close();
  }
});

test('a server that closes cleanly but then stops listening (shutting down): retried, never acknowledged', async () => {
  const server = await startOctetServer();
  server.mode = 'shutting-down';
  const sink = new SyslogSink(options(server.port));
  try {
    const r = sink.send({ seq: 0, lines: lines(0, 3) });
    await new Promise((resolve) => setTimeout(resolve, 30));
    sink.flush();
    const result = await r;
    assert.equal(result.kind === 'retry' && result.reason, 'connection_lost');
    assert.equal(server.messages.length, 3, 'the server had the bytes, yet a stopping server may drop them');
  } finally {
    await sink.close();
    await server.close();
  }
});

test('a server that never closes its side: retried as timeout after confirmTimeout', async () => {
  const server = await startOctetServer();
  server.mode = 'never-close';
  const sink = new SyslogSink(options(server.port, { confirmTimeoutMs: 200 }));
  try {
    const r = sink.send({ seq: 0, lines: lines(0, 1) });
    sink.flush();
    const result = await r;
    assert.equal(result.kind === 'retry' && result.reason, 'timeout');
  } finally {
    await sink.close();
    await server.close();
  }
});

test('nobody listening: connect_refused, and close() settles sends still waiting', async () => {
  const sink = new SyslogSink(options(await freePort()));
  const result = await sink.send({ seq: 0, lines: lines(0, 1) });
  assert.equal(result.kind === 'retry' && result.reason, 'connect_refused');
  const server = await startOctetServer();
  const waiting = new SyslogSink(options(server.port));
  try {
    const pending = waiting.send({ seq: 0, lines: lines(0, 1) });
    await new Promise((r) => setTimeout(r, 30));
    await waiting.close();
    const r = await pending;
    assert.equal(r.kind === 'retry' && r.reason, 'connection_lost');
  } finally {
    await server.close();
  }
});

const dir = mkdtempSync(join(tmpdir(), 'outrigger-syslog-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('over TLS with the server verified against a CA: acknowledged; with the wrong CA: tls_failed', async () => {
  const certs = writeCertFixture(dir);
  const server = await startOctetServer({ cert: readFileSync(certs.server.cert), key: readFileSync(certs.server.key) });
  const good = new SyslogSink(options(server.port, { tls: { ca: readFileSync(certs.caCert), servername: 'localhost' } }));
  const bad = new SyslogSink(options(server.port, { tls: { servername: 'localhost' } }));
  try {
    const r = good.send({ seq: 0, lines: lines(0, 2) });
    good.flush();
    assert.deepEqual(await r, { kind: 'ok' });
    assert.deepEqual(bodies(server.messages), lines(0, 2).map((l) => l.text));
    const refused = await bad.send({ seq: 0, lines: lines(0, 1) });
    assert.equal(refused.kind === 'retry' && refused.reason, 'tls_failed');
  } finally {
    await good.close();
    await bad.close();
    await server.close();
  }
});
