import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir, writeKubeletVolume } from '@outrigger/testing';
import { loadDirectorySnapshot } from './load-directory.ts';
import { SourceError } from './source-error.ts';

const text = (files: ReadonlyMap<string, Buffer>) => Object.fromEntries([...files].map(([n, b]) => [n, b.toString()]));

test('a kubelet volume is read by its visible names; ..data and the timestamped folders are not config', () =>
  withTempDir(async (dir) => {
    writeKubeletVolume(dir, { 'app.yaml': 'greeting: hi\n', 'extra.json': '{}', 'sub/inner.yaml': 'x: 1\n' });
    const snapshot = await loadDirectorySnapshot(dir);
    assert.deepEqual(text(snapshot.files), { 'app.yaml': 'greeting: hi\n', 'extra.json': '{}', 'sub/inner.yaml': 'x: 1\n' });
  }));

test('a plain folder works too; FIFOs are skipped, dangling symlinks are not config', () =>
  withTempDir(async (dir) => {
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    symlinkSync('nowhere', join(dir, 'dangling'));
    assert.deepEqual(text((await loadDirectorySnapshot(dir)).files), { 'a.yaml': 'a: 1\n' });
  }));

test('files: only the listed names are read', () =>
  withTempDir(async (dir) => {
    writeKubeletVolume(dir, { 'tls.crt': 'C', 'tls.key': 'K', 'other.txt': 'O' });
    const snapshot = await loadDirectorySnapshot(dir, { files: ['tls.crt', 'tls.key', 'ca.crt'] });
    assert.deepEqual([...snapshot.files.keys()], ['tls.crt', 'tls.key']);
  }));

test('a missing folder is not_found, an oversized one too_large', () =>
  withTempDir(async (dir) => {
    await assert.rejects(loadDirectorySnapshot(join(dir, 'absent')), (err: SourceError) => err.kind === 'not_found');
    mkdirSync(join(dir, 'big'));
    writeFileSync(join(dir, 'big', 'f'), Buffer.alloc(2048));
    await assert.rejects(loadDirectorySnapshot(join(dir, 'big'), { maxBytes: 1024 }), (err: SourceError) => err.kind === 'too_large');
  }));

test('property: while the kubelet swaps generations, every read has all files of one generation', () =>
  withTempDir(async (dir) => {
    const generation = (n: number) => ({ 'a.yaml': `gen: ${n}\n`, 'b.yaml': `gen: ${n}\n`, 'c.yaml': `gen: ${n}\n` });
    writeKubeletVolume(dir, generation(0));
    let n = 0;
    let swapping = true;
    // Swaps run between the reader's awaits, so many land in the middle of a read.
    const swapper = (async () => {
      while (swapping) {
        writeKubeletVolume(dir, generation(++n));
        await new Promise((r) => setTimeout(r, 4));
      }
    })();
    let reads = 0;
    try {
      for (let i = 0; i < 100; i++) {
        const snapshot = await loadDirectorySnapshot(dir).catch((err: SourceError) => assert.equal(err.kind, 'unreadable'));
        if (!snapshot) continue; // five swaps in a row during one read: refused, never mixed
        reads++;
        const contents = new Set([...snapshot.files.values()].map(String));
        assert.equal(snapshot.files.size, 3);
        assert.equal(contents.size, 1, `read ${i} mixed generations: ${[...contents].join(' | ')}`);
      }
    } finally {
      swapping = false;
      await swapper;
    }
    assert.ok(n > 5 && reads > 5, `${n} swaps, ${reads} complete reads`);
  }));
