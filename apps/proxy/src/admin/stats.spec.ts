import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeStats, percentile } from './stats.ts';

const buckets = (pairs: Array<[number, number]>) => new Map(pairs);

test('percentile interpolates inside the bucket that holds the rank', () => {
  const b = buckets([[0.001, 0], [0.01, 50], [0.1, 100], [Infinity, 100]]);
  assert.ok(Math.abs((percentile(b, 0.5) as number) - 0.01) < 1e-12);
  assert.ok(Math.abs((percentile(b, 0.25) as number) - 0.0055) < 1e-9);
  assert.ok(Math.abs((percentile(b, 0.99) as number) - 0.0982) < 1e-9);
});

test('percentile of an empty histogram is null; beyond the last bound it is the last bound', () => {
  assert.equal(percentile(buckets([[0.1, 0], [Infinity, 0]]), 0.5), null);
  assert.equal(percentile(buckets([[0.1, 1], [Infinity, 10]]), 0.99), 0.1);
});

test('failed requests and failed TLS handshakes are counted apart: a refused handshake is no request', () => {
  const counter = (name: string, values: Array<[Record<string, string>, number]>) =>
    ({ name, help: '', type: 'counter', aggregator: 'sum', values: values.map(([labels, value]) => ({ labels, value })) }) as unknown as Parameters<typeof computeStats>[0][number];
  const stats = computeStats([
    counter('outrigger_requests_total', [[{ classification: 'success' }, 7], [{ classification: 'failure' }, 2]]),
    counter('outrigger_tls_handshake_errors_total', [[{ direction: 'inbound', reason: 'unknown_ca' }, 1], [{ direction: 'inbound', reason: 'peer_did_not_return_a_certificate' }, 3]]),
  ]);
  assert.deepEqual([stats.requests, stats.failures, stats.tlsHandshakeFailures], [9, 2, 4]);
});
