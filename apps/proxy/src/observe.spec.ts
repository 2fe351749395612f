// The observer's access-log time: the request's start on the wall clock, in milliseconds, shared by
// requests that start in the same millisecond (it is formatted once per millisecond).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, startSeriesExpiry, type AccessLog, type AccessLogRecord } from '@outrigger/telemetry';
import { createObserver } from './observe.ts';
import { newConnectionRecord, type RequestRecord } from './record.ts';

test('each access-log line carries its own start time, to the millisecond, across changing milliseconds', () => {
  const lines: AccessLogRecord[] = [];
  const accessLog: AccessLog = { ready: Promise.resolve(), write: (r) => void lines.push(r), flush: async () => {}, close: async () => {}, droppedLines: 0 };
  let monotonic = 1_000; // performance.now() of the process
  const wallAtMonotonic1000 = Date.UTC(2026, 10, 24, 5, 0, 0, 0);
  const expiry = startSeriesExpiry();
  const observer = createObserver({ metrics: createMetrics(), accessLog: () => accessLog, expiry, now: () => monotonic, wallNow: () => wallAtMonotonic1000 + (monotonic - 1_000) });
  const connection = newConnectionRecord({ direction: 'inbound', listener: 'app', port: 8443, now: 1_000 });
  const request = (startedAt: number): RequestRecord => ({
    connection, startedAt, method: 'GET', path: '/', authority: 'a', protocol: 'http/1.1', requestId: 'r', userAgent: null, xForwardedFor: null,
    responseCode: 200, bytesReceived: 0, bytesSent: 0, upstreamStartedAt: null, upstreamHeadersAt: null, error: null, responseFlags: [],
  });
  // Ends in an order unlike the starts: the time is the start's, not the end's.
  for (const startedAt of [1_000.2, 1_000.9, 1_001.0, 1_000.5, 1_999.99, 61_000]) {
    monotonic = startedAt + 5;
    observer.requestEnded(request(startedAt));
  }
  expiry.stop();
  assert.deepEqual(lines.map((l) => l.time), [
    '2026-11-24T05:00:00.000Z',
    '2026-11-24T05:00:00.000Z',
    '2026-11-24T05:00:00.001Z',
    '2026-11-24T05:00:00.000Z',
    '2026-11-24T05:00:00.999Z',
    '2026-11-24T05:01:00.000Z',
  ]);
});
