// Atomic writes and mkdir -p on a real temporary directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withTempDir } from '@outrigger/testing';
import { makeDirectory, writeFileAtomic } from './atomic-file.ts';

test('writeFileAtomic writes the exact mode and leaves no temporary file behind', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'tls.key');
    await writeFileAtomic(path, 'secret', { mode: 0o600, overwrite: false });
    await writeFileAtomic(join(dir, 'tls.crt'), 'public', { mode: 0o644, overwrite: false });
    assert.equal(await readFile(path, 'utf8'), 'secret');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'tls.crt'))).mode & 0o777, 0o644);
    assert.deepEqual((await readdir(dir)).sort(), ['tls.crt', 'tls.key']);
  });
});

test('writeFileAtomic replaces a file only when allowed to', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'ca.key');
    await writeFile(path, 'old');
    await assert.rejects(writeFileAtomic(path, 'new', { mode: 0o600, overwrite: false }), { code: 'EEXIST' });
    assert.equal(await readFile(path, 'utf8'), 'old');
    await writeFileAtomic(path, 'new', { mode: 0o600, overwrite: true });
    assert.equal(await readFile(path, 'utf8'), 'new');
    assert.deepEqual(await readdir(dir), ['ca.key']);
  });
});

test('makeDirectory creates missing parents, accepts an existing directory and refuses a file', async () => {
  await withTempDir(async (dir) => {
    const deep = join(dir, 'a', 'b', 'c');
    await makeDirectory(deep, 0o700);
    assert.equal((await stat(deep)).mode & 0o777, 0o700);
    await makeDirectory(deep, 0o700);
    await writeFile(join(dir, 'file'), '');
    await assert.rejects(makeDirectory(join(dir, 'file')), { code: 'ENOTDIR' });
    await assert.rejects(makeDirectory(join(dir, 'file', 'sub')), { code: 'ENOTDIR' });
  });
});

// Node's own recursive mkdir never returns here (see makeDirectory).
test('makeDirectory fails, rather than spinning, under a parent that refuses children', { skip: process.platform !== 'linux' }, async () => {
  await assert.rejects(makeDirectory('/proc/outrigger-test/x'), { code: 'ENOENT' });
});
