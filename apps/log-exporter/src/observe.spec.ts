// The observer's log lines: a positions file that cannot be written is said once, then again only
// when the error changes, and its recovery is said.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@outrigger/telemetry';
import { createObserver } from './observe.ts';

function logged(level = 'debug') {
  const raw: string[] = [];
  const observer = createObserver(createLogger({ name: 'log-exporter', level, destination: { write: (s) => void raw.push(s) } }));
  const lines = () => raw.map((s) => JSON.parse(s) as Record<string, unknown>).map(({ level, msg, err, failures }) => ({ level, msg, err, failures }));
  return { observer, lines };
}

test('a positions write failing at every interval is an error once, then debug until the error changes or a write succeeds', () => {
  const { observer, lines } = logged();
  const eacces = new Error("EACCES: permission denied, open '/state/.positions.json.tmp-1'");
  const enospc = new Error('ENOSPC: no space left on device, write');
  for (const error of [eacces, eacces, eacces, enospc, enospc]) observer.ship({ kind: 'positions_write_failed', error });
  observer.ship({ kind: 'positions_write_recovered', failures: 5 });
  observer.ship({ kind: 'positions_write_failed', error: eacces });
  const msg = 'cannot write the positions file; will retry';
  assert.deepEqual(lines(), [
    { level: 'error', msg, err: eacces.message, failures: undefined },
    { level: 'debug', msg, err: eacces.message, failures: undefined },
    { level: 'debug', msg, err: eacces.message, failures: undefined },
    { level: 'error', msg, err: enospc.message, failures: undefined },
    { level: 'debug', msg, err: enospc.message, failures: undefined },
    { level: 'info', msg: 'positions file written after failures', err: undefined, failures: 5 },
    { level: 'error', msg, err: eacces.message, failures: undefined },
  ]);
});

test('at the default level only the changes show', () => {
  const { observer, lines } = logged('info');
  const error = new Error('EROFS: read-only file system');
  for (let i = 0; i < 40; i++) observer.ship({ kind: 'positions_write_failed', error }); // 10 s at 250 ms
  assert.equal(lines().length, 1);
});
