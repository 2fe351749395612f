// The reload stages wrapped around fakes: each failure stops the pipeline where it should, and
// the stages after it (above all publish and notify) are never reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSnapshot, type ConfigSnapshot } from '@outrigger/config';
import type { StagedGeneration } from './atomic-dest.ts';
import { createReloader, type ReloadStages } from './reload.ts';
import { WatcherError } from './watcher-errors.ts';

const snap = (text: string) => planSnapshot([['app.yaml', Buffer.from(text)]]);

function fakeStages(overrides: Partial<ReloadStages> = {}) {
  const calls: string[] = [];
  let n = 0;
  const stages: ReloadStages = {
    check: () => (calls.push('check'), { ok: true, parsed: 1 }),
    stage: async () => (calls.push('stage'), { name: `..gen${++n}`, path: `/dest/..gen${n}` }),
    validate: async () => void calls.push('validate'),
    publish: async (s: StagedGeneration) => (calls.push(`publish ${s.name}`), []),
    discard: async (s: StagedGeneration) => void calls.push(`discard ${s.name}`),
    notify: async () => (calls.push('notify'), ['SIGHUP sent to process 7']),
    ...overrides,
  };
  return { stages, calls };
}

test('a good config goes through every stage in order; the first into an empty dest is not notified', async () => {
  const { stages, calls } = fakeStages();
  const reloader = createReloader(stages, undefined, { notify: true, destEmpty: true });
  const first = await reloader.reload(snap('v: 1'));
  assert.equal(first.result === 'success' && first.initial, true);
  assert.deepEqual(calls, ['check', 'stage', 'validate', 'publish ..gen1']);
  calls.length = 0;
  const second = await reloader.reload(snap('v: 2'));
  assert.deepEqual(second.result === 'success' && second.notified, ['SIGHUP sent to process 7']);
  assert.deepEqual(calls, ['check', 'stage', 'validate', 'publish ..gen2', 'notify']);
  assert.equal(reloader.lastGood()?.hash, snap('v: 2').hash);
});

test('the first config into a dest that held plain files (an image default) is notified: the app may have read them', async () => {
  const { stages, calls } = fakeStages();
  const outcome = await createReloader(stages, undefined, { notify: true, destEmpty: false }).reload(snap('v: 1'));
  assert.equal(outcome.result === 'success' && outcome.initial, false);
  assert.deepEqual(calls, ['check', 'stage', 'validate', 'publish ..gen1', 'notify']);
});

test('the config already in dest at start is neither rewritten nor notified', async () => {
  const { stages, calls } = fakeStages();
  const outcome = await createReloader(stages, snap('v: 1'), { notify: true, destEmpty: false }).reload(snap('v: 1'));
  assert.equal(outcome.result, 'unchanged');
  assert.deepEqual(calls, []);
});

const failures: Array<[string, Partial<ReloadStages>, string, string, string[]]> = [
  ['unparsable', { check: () => ({ ok: false, kind: 'config_unparsable', problems: ['app.yaml: YAML syntax: x'] }) }, 'invalid', 'config_unparsable', []],
  ['schema violation', { check: () => ({ ok: false, kind: 'schema_violation', problems: ['app.yaml: /a: no'] }) }, 'invalid', 'schema_violation', []],
  ['staging fails', { stage: async () => { throw new WatcherError('write_failed', 'disk full'); } }, 'write_failed', 'write_failed', ['check']],
  ['validate command refuses', { validate: async () => { throw new WatcherError('validate_cmd_failed', 'exit 1'); } }, 'invalid', 'validate_cmd_failed', ['check', 'stage', 'discard ..gen1']],
  ['publish fails', { publish: async () => { throw new Error('EROFS'); } }, 'write_failed', 'write_failed', ['check', 'stage', 'validate', 'discard ..gen1']],
  ['process not visible', { notify: async () => { throw new WatcherError('process_not_visible', 'no process'); } }, 'notify_failed', 'process_not_visible', ['check', 'stage', 'validate', 'publish ..gen1']],
];
for (const [name, overrides, result, kind, calls] of failures) {
  test(`${name}: result ${result}, kind ${kind}, and nothing after the failing stage`, async () => {
    const { stages, calls: seen } = fakeStages(overrides);
    const good: ConfigSnapshot = snap('v: 0');
    const reloader = createReloader(stages, good, { notify: true, destEmpty: false });
    const outcome = await reloader.reload(snap('v: 1'));
    assert.equal(outcome.result, result);
    assert.equal('error' in outcome && outcome.error.kind, kind);
    assert.deepEqual(seen, calls);
    // Only a config that was switched in becomes the last good one.
    assert.equal(reloader.lastGood()?.hash, result === 'notify_failed' ? snap('v: 1').hash : good.hash);
  });
}
