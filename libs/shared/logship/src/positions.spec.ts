// The positions file: round trip, refusal of damaged content, the atomic write on disk, and the
// check at start that its folder can be written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '@outrigger/testing';
import { parsePositions, renderPositions, type Positions } from './positions.ts';
import { ensureWritableDir, readPositionsFile, setAsideCorrupt, writePositionsFile } from './positions-file.ts';

const sample: Positions = {
  version: 1,
  files: [
    { dev: '2049', ino: '18446744073709551615', offset: 1234, path: '/var/log/outrigger/access.log.1', size: 2000, fingerprint: 'a'.repeat(64), fingerprintBytes: 1024 },
    { dev: '2049', ino: '77', offset: 0, path: '/var/log/outrigger/access.log', size: 0, fingerprint: 'b'.repeat(64), fingerprintBytes: 0 },
  ],
};

test('render then parse gives the same positions, inode numbers beyond 2^53 intact', () => {
  const parsed = parsePositions(renderPositions(sample));
  assert.deepEqual(parsed, { ok: true, positions: sample });
});

const damaged: Array<[string, string, RegExp]> = [
  ['not JSON', '{"version":1,', /^not JSON/],
  ['an array', '[]', /not a JSON object/],
  ['another version', '{"version":2,"files":[]}', /unknown version 2/],
  ['files missing', '{"version":1}', /files: not an array/],
  ['dev as a number', JSON.stringify({ version: 1, files: [{ ...sample.files[0], dev: 2049 }] }), /files\[0\]\.dev/],
  ['negative offset', JSON.stringify({ version: 1, files: [{ ...sample.files[0], offset: -1 }] }), /files\[0\]\.offset/],
  ['short fingerprint', JSON.stringify({ version: 1, files: [sample.files[1], { ...sample.files[0], fingerprint: 'abc' }] }), /files\[1\]\.fingerprint/],
];
for (const [name, text, problem] of damaged) {
  test(`damaged positions are refused with the field: ${name}`, () => {
    const r = parsePositions(text);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.problem, problem);
  });
}

test('the write is atomic: no temporary file is left, the content is complete, a rewrite replaces it', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'positions.json');
    assert.deepEqual(await readPositionsFile(path), { kind: 'missing' });
    await writePositionsFile(path, sample);
    await writePositionsFile(path, { version: 1, files: [sample.files[1] as Positions['files'][number]] });
    assert.deepEqual(readdirSync(dir), ['positions.json']);
    const read = await readPositionsFile(path);
    assert.equal(read.kind, 'ok');
    if (read.kind === 'ok') assert.equal(read.positions.files.length, 1);
    assert.ok(readFileSync(path, 'utf8').endsWith('\n'));
  });
});

test('a corrupt file is reported and can be set aside for a human', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'positions.json');
    writeFileSync(path, 'garbage');
    const read = await readPositionsFile(path);
    assert.equal(read.kind, 'corrupt');
    const aside = await setAsideCorrupt(path, 1700000000000);
    assert.equal(aside, `${path}.corrupt-1700000000000`);
    assert.deepEqual(readdirSync(dir), ['positions.json.corrupt-1700000000000']);
  });
});

test('ensureWritableDir creates the folder and leaves nothing in it', async () => {
  await withTempDir(async (dir) => {
    await ensureWritableDir(join(dir, 'state', 'positions.json'));
    assert.deepEqual(readdirSync(join(dir, 'state')), []);
  });
});

// sysfs refuses to create files even for root, whom a chmod would not stop.
test('ensureWritableDir refuses a folder that exists but cannot be written, naming it and the error', { skip: !existsSync('/sys/kernel') && 'no /sys' }, async () => {
  await assert.rejects(ensureWritableDir('/sys/kernel/positions.json'), /^Error: cannot create files in \/sys\/kernel: EACCES: permission denied/);
});
