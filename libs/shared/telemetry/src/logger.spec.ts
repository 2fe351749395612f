// The process logger's line shape, level handling and default destination (stderr).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createLogger, LOG_LEVELS } from './logger.ts';
import { OutriggerError } from './error-kinds.ts';

function sink(): { lines: () => Record<string, unknown>[]; destination: { write(s: string): void } } {
  const raw: string[] = [];
  return {
    destination: { write: (s) => void raw.push(s) },
    lines: () => raw.map((s) => JSON.parse(s) as Record<string, unknown>),
  };
}

test('a line is JSON with ISO time, level label, component and message, without pid or hostname', () => {
  const s = sink();
  createLogger({ name: 'proxy', destination: s.destination }).info({ port: 15006 }, 'listening');
  const [line] = s.lines();
  assert.ok(line);
  assert.deepEqual(Object.keys(line).sort(), ['component', 'level', 'msg', 'port', 'time']);
  assert.equal(line.level, 'info');
  assert.equal(line.component, 'proxy');
  assert.equal(line.msg, 'listening');
  assert.equal(new Date(line.time as string).toISOString(), line.time);
});

test('the level filters lines and defaults to info', () => {
  const s = sink();
  const log = createLogger({ name: 'x', destination: s.destination });
  log.debug('hidden');
  log.warn('shown');
  const debug = createLogger({ name: 'x', level: 'debug', destination: s.destination });
  debug.debug('shown too');
  createLogger({ name: 'x', level: 'silent', destination: s.destination }).fatal('never');
  assert.deepEqual(s.lines().map((l) => [l.level, l.msg]), [['warn', 'shown'], ['debug', 'shown too']]);
});

test('every documented level is accepted', () => {
  for (const level of LOG_LEVELS) assert.equal(createLogger({ name: 'x', level, destination: sink().destination }).level, level);
});

test('an invalid level is a config_invalid error that names the value', () => {
  for (const level of ['verbose', 'INFO', '']) {
    assert.throws(
      () => createLogger({ name: 'x', level }),
      (err: unknown) => err instanceof OutriggerError && err.kind === 'config_invalid' && err.message.includes(JSON.stringify(level)),
      level,
    );
  }
});

test('by default lines go to stderr and nothing to stdout', () => {
  const url = new URL('./logger.ts', import.meta.url).href;
  const script = `import { createLogger } from ${JSON.stringify(url)}; createLogger({ name: 'child' }).warn('to stderr');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const line = JSON.parse(r.stderr) as Record<string, unknown>;
  assert.deepEqual([line.component, line.level, line.msg], ['child', 'warn', 'to stderr']);
});
