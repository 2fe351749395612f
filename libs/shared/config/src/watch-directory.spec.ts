import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, withTempDir, writeKubeletVolume } from '@outrigger/testing';
import type { ConfigSnapshot } from './plan-snapshot.ts';
import { SourceError } from './source-error.ts';
import { watchDirectory } from './watch-directory.ts';

interface Seen {
  changes: Array<{ files: Record<string, string>; previous: string | undefined }>;
  errors: Error[];
}

function recorder(): Seen & { onChange(s: ConfigSnapshot, p: ConfigSnapshot | undefined): void; onError(e: Error): void } {
  const seen: Seen = { changes: [], errors: [] };
  return {
    ...seen,
    onChange: (s, p) => void seen.changes.push({ files: Object.fromEntries([...s.files].map(([n, b]) => [n, b.toString()])), previous: p?.hash }),
    onError: (e) => void seen.errors.push(e),
  };
}

test('each kubelet swap reaches onChange exactly once, with the new files and the previous snapshot', () =>
  withTempDir(async (dir) => {
    writeKubeletVolume(dir, { 'app.yaml': 'greeting: v0\n' });
    const seen = recorder();
    const watch = watchDirectory(dir, { debounceMs: 20, pollMs: 60_000, onChange: seen.onChange, onError: seen.onError });
    try {
      await waitFor(() => seen.changes.length === 1, 'the initial snapshot');
      assert.equal(seen.changes[0]?.previous, undefined);
      for (let v = 1; v <= 3; v++) {
        const before = watch.current()?.hash;
        writeKubeletVolume(dir, { 'app.yaml': `greeting: v${v}\n`, ...(v === 2 ? { 'extra.yaml': 'x\n' } : {}) });
        await waitFor(() => seen.changes.length === v + 1, `update ${v} (through fs.watch: the poll is a minute away)`);
        await watch.check(); // a re-read of the same generation must not deliver it again
        assert.equal(seen.changes.length, v + 1);
        assert.equal(seen.changes[v]?.files['app.yaml'], `greeting: v${v}\n`);
        assert.equal(seen.changes[v]?.previous, before);
      }
      assert.deepEqual(Object.keys(seen.changes[2]?.files ?? {}), ['app.yaml', 'extra.yaml']);
      assert.deepEqual(Object.keys(seen.changes[3]?.files ?? {}), ['app.yaml']);
      assert.deepEqual(seen.errors, []);
    } finally {
      await watch.close();
    }
  }));

test('a swap to identical content (a resync) is not a change', () =>
  withTempDir(async (dir) => {
    writeKubeletVolume(dir, { 'app.yaml': 'same\n' });
    const seen = recorder();
    const watch = watchDirectory(dir, { debounceMs: 10, pollMs: 60_000, ...seen });
    try {
      await waitFor(() => seen.changes.length === 1, 'the initial snapshot');
      writeKubeletVolume(dir, { 'app.yaml': 'same\n' });
      await watch.check();
      assert.equal(seen.changes.length, 1);
    } finally {
      await watch.close();
    }
  }));

test('the poll is a backstop when no event arrives, and a folder that appears later is picked up', () =>
  withTempDir(async (root) => {
    const dir = join(root, 'later');
    const seen = recorder();
    // A debounce of an hour: only the poll can deliver anything here.
    const watch = watchDirectory(dir, { debounceMs: 3_600_000, pollMs: 50, ...seen });
    try {
      await waitFor(() => seen.errors.length > 0, 'the missing folder reported');
      assert.ok(seen.errors[0] instanceof SourceError && seen.errors[0].kind === 'not_found', String(seen.errors[0]));
      mkdirSync(dir);
      writeFileSync(join(dir, 'plain.conf'), 'one\n');
      await waitFor(() => seen.changes.length === 1, 'the folder read by the poll');
      writeFileSync(join(dir, 'plain.conf'), 'two\n');
      await waitFor(() => seen.changes[1]?.files['plain.conf'] === 'two\n', 'an in-place edit seen by the poll');
    } finally {
      await watch.close();
    }
  }));

test('onChange throwing is retried at the next check; returning normally (a refused config) is not', () =>
  withTempDir(async (dir) => {
    writeKubeletVolume(dir, { 'app.yaml': 'v1\n' });
    let calls = 0;
    let fail = true;
    const errors: Error[] = [];
    const watch = watchDirectory(dir, {
      debounceMs: 10,
      pollMs: 60_000,
      onChange: () => {
        calls++;
        if (fail) throw new Error('disk full');
      },
      onError: (e) => void errors.push(e),
    });
    try {
      await waitFor(() => calls === 1, 'the first offer');
      assert.equal(errors[0]?.message, 'disk full');
      assert.equal(watch.current(), undefined);
      fail = false;
      await watch.check();
      assert.equal(calls, 2);
      assert.ok(watch.current());
      await watch.check();
      assert.equal(calls, 2);
    } finally {
      await watch.close();
    }
  }));

test('close() waits for an onChange in progress and nothing is delivered after it', () =>
  withTempDir(async (dir) => {
    writeKubeletVolume(dir, { 'app.yaml': 'v1\n' });
    let release = () => {};
    let finished = false;
    let calls = 0;
    const watch = watchDirectory(dir, {
      debounceMs: 5,
      pollMs: 20,
      onChange: async () => {
        calls++;
        await new Promise<void>((r) => (release = r));
        finished = true;
      },
      onError: () => {},
    });
    await waitFor(() => calls === 1, 'onChange started');
    const closing = watch.close();
    writeKubeletVolume(dir, { 'app.yaml': 'v2\n' });
    release();
    await closing;
    assert.ok(finished);
    await new Promise((r) => setTimeout(r, 60)); // longer than the poll: proves it stopped
    assert.equal(calls, 1);
  }));
