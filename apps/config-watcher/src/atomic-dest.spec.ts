import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDirectorySnapshot, planSnapshot } from '@outrigger/config';
import { withTempDir } from '@outrigger/testing';
import { discardGeneration, listVisibleNames, planGenerationName, publishGeneration, readPublished, stageGeneration } from './atomic-dest.ts';
import { WatcherError } from './watcher-errors.ts';

const snap = (files: Record<string, string>) => planSnapshot(Object.entries(files).map(([n, t]) => [n, Buffer.from(t)] as const));
const write = async (dest: string, files: Record<string, string>) => {
  const s = snap(files);
  const staged = await stageGeneration(dest, s);
  return { staged, warnings: await publishGeneration(dest, staged, s) };
};

test('the generation name is the kubelet\'s: .. + UTC timestamp with underscores + a unique suffix', () => {
  assert.equal(planGenerationName(new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 67)), 'ab12'), '..2025_01_02_03_04_05.067ab12');
});

test('the layout: a timestamped folder, ..data pointing at it, visible names linked through ..data', () =>
  withTempDir(async (dest) => {
    const { staged, warnings } = await write(dest, { 'app.yaml': 'v: 1\n', 'sub/inner.yaml': 'x\n' });
    assert.deepEqual(warnings, []);
    assert.equal(readlinkSync(join(dest, '..data')), staged.name);
    assert.equal(readlinkSync(join(dest, 'app.yaml')), '..data/app.yaml');
    assert.equal(readlinkSync(join(dest, 'sub')), '..data/sub');
    assert.equal(readFileSync(join(dest, 'sub', 'inner.yaml'), 'utf8'), 'x\n');
    assert.equal(lstatSync(join(dest, staged.name, 'app.yaml')).mode & 0o777, 0o644);
    assert.deepEqual(readdirSync(dest).sort(), [staged.name, '..data', 'app.yaml', 'sub'].sort());
  }));

test('the next version replaces the old folder; removed names go, other files in dest stay', () =>
  withTempDir(async (dest) => {
    writeFileSync(join(dest, 'app.yaml'), 'a plain file from before the watcher\n');
    writeFileSync(join(dest, 'keep.txt'), 'not ours');
    await write(dest, { 'app.yaml': 'v: 1\n', 'old.yaml': 'o\n' });
    assert.equal(readlinkSync(join(dest, 'app.yaml')), '..data/app.yaml'); // the plain file was replaced by the link in one rename
    const { staged } = await write(dest, { 'app.yaml': 'v: 2\n' });
    assert.deepEqual(readdirSync(dest).sort(), [staged.name, '..data', 'app.yaml', 'keep.txt'].sort());
    assert.equal(readFileSync(join(dest, 'app.yaml'), 'utf8'), 'v: 2\n');
    assert.equal((await readPublished(dest))?.hash, snap({ 'app.yaml': 'v: 2\n' }).hash);
  }));

test('visible names: plain files (dot-files too) and our links count; the layout\'s `..` entries and lost+found do not', () =>
  withTempDir(async (dir) => {
    const dest = join(dir, 'dest');
    assert.deepEqual(await listVisibleNames(dest), []);
    mkdirSync(join(dest, 'lost+found'), { recursive: true });
    await stageGeneration(dest, snap({ 'app.yaml': 'v: 1\n' })); // a generation left by a crash before its switch
    assert.deepEqual(await listVisibleNames(dest), []);
    writeFileSync(join(dest, '.env'), 'A=1\n');
    await write(dest, { 'app.yaml': 'v: 1\n' });
    assert.deepEqual(await listVisibleNames(dest), ['.env', 'app.yaml']);
  }));

test('a folder in the way fails before the switch and leaves dest as it was', () =>
  withTempDir(async (dest) => {
    await write(dest, { 'app.yaml': 'v: 1\n' });
    mkdirSync(join(dest, 'conf.d'));
    const s = snap({ 'app.yaml': 'v: 2\n', 'conf.d': 'a file where a folder is' });
    const staged = await stageGeneration(dest, s);
    await assert.rejects(publishGeneration(dest, staged, s), (err: WatcherError) => err.kind === 'write_failed' && /conf\.d.*in the way/.test(err.message));
    await discardGeneration(staged);
    assert.equal(readFileSync(join(dest, 'app.yaml'), 'utf8'), 'v: 1\n');
  }));


test('a dest that cannot be made (a path under a file) is write_failed', () =>
  withTempDir(async (dir) => {
    writeFileSync(join(dir, 'file'), '');
    await assert.rejects(stageGeneration(join(dir, 'file', 'dest'), snap({ a: 'b' })), (err: WatcherError) => err.kind === 'write_failed' && /ENOTDIR|EEXIST/.test(err.message));
  }));

test('property: during publishes, a reader sees a whole old or a whole new version, never a part or a mix', () =>
  withTempDir(async (dest) => {
    const version = (n: number) => ({ 'a.yaml': `v: ${n}\n${'#'.repeat(64 * 1024)}\n`, 'b.yaml': `v: ${n}\n` });
    await write(dest, version(0));
    const VERSIONS = 8;
    let published = 0;
    let done = false;
    const writer = (async () => {
      while (published < VERSIONS) await write(dest, version(++published));
    })().finally(() => (done = true));
    let reads = 0;
    try {
      const whole = new Set(Array.from({ length: VERSIONS + 1 }, (_, n) => version(n)['a.yaml']));
      for (let i = 0; !done; i++, reads++) {
        // One file opened by its visible name: old or new content, complete.
        assert.ok(whole.has(await readFile(join(dest, 'a.yaml'), 'utf8')), `read ${i} saw a partial file`);
        // All files through ..data, as a consistent reader does: one version.
        const snapshot = await loadDirectorySnapshot(dest).catch(() => undefined);
        if (snapshot) assert.equal(new Set([...snapshot.files.values()].map((b) => String(b).split('\n')[0])).size, 1, `read ${i} mixed versions`);
      }
    } finally {
      await writer;
    }
    assert.ok(reads > VERSIONS * 2, `only ${reads} reads during ${VERSIONS} publishes`);
  }));
