// The tailer on real files: the proxy's numbered rotation and logrotate's rename while reading,
// finished files never read twice, deleted files read from the open descriptor, lost lines counted
// only when bytes were unread (given up or waiting at maxOpenFiles), restarts from positions
// (fingerprint, vanished files), truncation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '@outrigger/testing';
import type { Clock } from './clock.ts';
import { ShipStats } from './ship-stats.ts';
import { Tailer, type TailerOptions, type TailEvent } from './tailer.ts';
import type { Positions } from './positions.ts';
import { RollingFile, seqLines, seqOf } from './testdata/rolling-file.ts';

function fakeClock(): Clock & { advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, sleep: async () => {}, advance: (ms) => void (t += ms) };
}

function tailer(dir: string, more: Partial<TailerOptions> = {}, saved?: Positions) {
  const events: TailEvent[] = [];
  const stats = new ShipStats();
  const clock = fakeClock();
  const t = new Tailer({
    paths: [join(dir, 'access.log*')], exclude: ['*.gz'], maxLineBytes: 1024, readBytes: 4096, rotateWaitMs: 1000,
    startAt: 'beginning', maxOpenFiles: 16, clock, stats, onEvent: (e) => events.push(e), ...more,
  }, saved);
  return { t, events, stats, clock };
}

/** Reads until a scan finds nothing more; returns the seq numbers in the order read. */
async function drain(t: Tailer, ends?: Map<string, number>): Promise<number[]> {
  const seqs: number[] = [];
  for (let idle = 0; idle < 2;) {
    const r = await t.read(1000, 1 << 20);
    for (const l of r.lines) seqs.push(seqOf(l.text));
    for (const [k, v] of r.ends) ends?.set(k, v);
    if (r.lines.length === 0) {
      idle++;
      await t.scan();
    } else idle = 0;
  }
  return seqs;
}
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

test('proxy-style numbered rotation while reading: every line once, oldest file first', async () => {
  await withTempDir(async (dir) => {
    const log = new RollingFile(join(dir, 'access.log'), 1500, 5);
    const { t } = tailer(dir);
    await t.scan();
    const got: number[] = [];
    let seq = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 30; i++) log.write(seqLines(seq++, 1)); // ~1.8 KB per round: a roll about every round
      got.push(...(await drain(t)));
    }
    log.close();
    assert.ok(log.rolls >= 5, `${log.rolls} rolls`);
    assert.deepEqual(got, range(0, seq));
    await t.close();
  });
});

test('several rolls between two reads: the renamed files are read to their end before the new one', async () => {
  await withTempDir(async (dir) => {
    const log = new RollingFile(join(dir, 'access.log'), 1000, 10);
    const { t } = tailer(dir);
    log.write(seqLines(0, 5));
    await t.scan();
    const first = await t.read(2, 1 << 20); // read a little of the first file, then let it roll away
    for (let i = 5; i < 100; i++) log.write(seqLines(i, 1));
    await t.scan();
    const rest = await drain(t);
    log.close();
    assert.deepEqual([...first.lines.map((l) => seqOf(l.text)), ...rest], range(0, 100));
    await t.close();
  });
});

test('logrotate rename: the writer keeps appending to the renamed file, then reopens; nothing lost or doubled', async () => {
  await withTempDir(async (dir) => {
    const log = new RollingFile(join(dir, 'access.log'));
    const { t } = tailer(dir);
    log.write(seqLines(0, 10));
    await t.scan();
    const got = await drain(t);
    log.renameChain(); // access.log -> access.log.1, still open for writing
    log.write(seqLines(10, 10));
    got.push(...(await drain(t)));
    log.reopen(); // postrotate: the app opens a new access.log
    log.write(seqLines(20, 10));
    got.push(...(await drain(t)));
    log.close();
    assert.deepEqual(got, range(0, 30));
    await t.close();
  });
});

test('a finished file is never read again, however often it is renamed', async () => {
  await withTempDir(async (dir) => {
    const log = new RollingFile(join(dir, 'access.log'), 1_000_000, 4);
    const { t, stats } = tailer(dir);
    log.write(seqLines(0, 10));
    await t.scan();
    const got = await drain(t);
    for (let r = 0; r < 3; r++) {
      log.roll();
      got.push(...(await drain(t)));
    }
    log.close();
    assert.deepEqual(got, range(0, 10));
    assert.equal(stats.linesRead, 10);
    await t.close();
  });
});

test('a file deleted before we read it, while we hold it open: read in full, nothing counted lost', async () => {
  await withTempDir(async (dir) => {
    const log = new RollingFile(join(dir, 'access.log'), 1_000_000, 1); // maxFiles 1: .1 is deleted at the next roll
    const { t, stats, events } = tailer(dir);
    log.write(seqLines(0, 50));
    await t.scan(); // opened, not read
    log.roll(); // -> access.log.1
    log.write(seqLines(50, 5));
    log.roll(); // access.log.1 (the first 50 lines) deleted
    log.close();
    const got = await drain(t);
    assert.deepEqual(got.sort((a, b) => a - b), range(0, 55));
    assert.equal(stats.linesLost, 0);
    assert.ok(events.some((e) => e.kind === 'file_gone'));
    await t.close();
  });
});

test('past maxOpenFiles a deleted file with unread bytes is given up: its lines and bytes counted lost', async () => {
  await withTempDir(async (dir) => {
    const log = new RollingFile(join(dir, 'access.log'), 1_000_000, 1);
    const lineBytes = Buffer.byteLength(seqLines(0, 1));
    const { t, stats, events } = tailer(dir, { maxOpenFiles: 2, readBytes: 3 * lineBytes });
    log.write(seqLines(0, 7));
    await t.scan();
    assert.equal((await t.read(3, 1 << 20)).lines.length, 3); // 3 of 7 read from the disk
    log.roll();
    log.write(seqLines(7, 2));
    await t.scan(); // tracks the renamed first file and the new access.log: 2 open
    log.roll(); // first file deleted (4 unread lines), second renamed to .1, a third access.log appears
    log.write(seqLines(9, 1));
    await t.scan();
    const got = await drain(t);
    log.close();
    assert.equal(stats.linesLost, 4);
    assert.equal(stats.bytesLost, Buffer.byteLength(seqLines(3, 4)));
    assert.ok(events.some((e) => e.kind === 'lines_lost' && e.lines === 4 && e.reason === 'deleted_unread'));
    assert.deepEqual(got, [7, 8, 9]);
    await t.close();
  });
});

test('past maxOpenFiles a waiting file deleted before it was opened is counted lost; a deleted open file is read in full', async () => {
  await withTempDir(async (dir) => {
    const name = (n: number) => join(dir, `access.log.${n}`);
    const { t, stats, events } = tailer(dir, { maxOpenFiles: 2 });
    writeFileSync(name(1), seqLines(100, 100));
    writeFileSync(name(2), seqLines(200, 100));
    await t.scan();
    writeFileSync(name(3), seqLines(300, 100));
    writeFileSync(name(4), seqLines(400, 100));
    await t.scan();
    assert.deepEqual(t.files().map((f) => f.path).sort(), [name(1), name(2)]);
    assert.ok(events.some((e) => e.kind === 'too_many_files'));
    for (const n of [2, 3, 4]) rmSync(name(n));
    const got = await drain(t);
    assert.deepEqual(got.sort((a, b) => a - b), [...range(100, 200), ...range(200, 300)], '.2 is still open: read in full');
    const size = (n: number) => Buffer.byteLength(seqLines(n * 100, 100));
    const lost = events.flatMap((e) => (e.kind === 'lines_lost' ? [[e.path, e.lines, e.bytes, e.reason]] : [])).sort();
    assert.deepEqual(lost, [[name(3), undefined, size(3), 'deleted_while_waiting'], [name(4), undefined, size(4), 'deleted_while_waiting']]);
    assert.equal(stats.bytesLost, size(3) + size(4));
    assert.equal(stats.linesLost, 0, 'never opened: lines unknown');
    await t.close();
  });
});

test('a deleted file that was read to its end is let go without counting anything lost', async () => {
  await withTempDir(async (dir) => {
    const log = new RollingFile(join(dir, 'access.log'), 1_000_000, 1);
    const { t, stats, clock, events } = tailer(dir);
    log.write(seqLines(0, 3));
    await t.scan();
    await drain(t);
    log.roll();
    log.roll(); // deleted
    log.close();
    clock.advance(2000);
    await drain(t);
    assert.equal(stats.linesLost, 0);
    assert.equal(stats.bytesLost, 0);
    assert.ok(events.some((e) => e.kind === 'file_closed'));
    assert.deepEqual(t.files().map((f) => f.size), [0, 0], 'the two empty files rotation left; the deleted one is closed');
    await t.close();
  });
});

test('restart: resumes at the saved offset; a reused inode (fingerprint differs) is read from 0; a vanished file counts its unread bytes', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'access.log'), seqLines(0, 10));
    writeFileSync(join(dir, 'access.log.1'), seqLines(100, 3));
    const first = tailer(dir);
    await first.t.scan();
    const ends = new Map<string, number>();
    await first.t.read(4, 1 << 20).then((r) => r.ends.forEach((v, k) => ends.set(k, v)));
    const views = first.t.files();
    await first.t.close();
    const live = views.find((f) => f.path.endsWith('access.log'));
    const rotated = views.find((f) => f.path.endsWith('access.log.1'));
    assert.ok(live && rotated);
    const saved: Positions = {
      version: 1,
      files: [
        { ...live, offset: Buffer.byteLength(seqLines(0, 6)) },
        { ...rotated, offset: 0, fingerprint: 'f'.repeat(64) }, // as if another file had had this inode
        { dev: live.dev, ino: '999999999', offset: 10, path: join(dir, 'access.log.9'), size: 110, fingerprint: 'a'.repeat(64), fingerprintBytes: 5 },
      ],
    };
    const again = tailer(dir, {}, saved);
    await again.t.scan();
    const got = await drain(again.t);
    assert.deepEqual(got.sort((a, b) => a - b), [6, 7, 8, 9, 100, 101, 102]);
    assert.equal(again.stats.bytesLost, 100 + rotated.size, 'the vanished file, and the unread bytes of the file whose inode was reused');
    assert.ok(again.events.some((e) => e.kind === 'position_reset' && e.reason === 'fingerprint_mismatch'));
    assert.ok(again.events.some((e) => e.kind === 'lines_lost' && e.reason === 'vanished_while_stopped' && e.bytes === 100));
    await again.t.close();
  });
});

test('restart: a new file on the inode of a file left unread counts that file\'s unread bytes lost, and is read whole', async () => {
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'access.log'), seqLines(0, 10));
    const first = tailer(dir);
    await first.t.scan();
    const [file] = first.t.files();
    await first.t.close();
    assert.ok(file);
    // What the positions file said of access.log.2x, deleted while we were stopped; its inode now holds access.log.
    const old = join(dir, 'access.log.2x');
    const saved: Positions = { version: 1, files: [{ ...file, path: old, offset: 11_740_000, size: 12_327_000, fingerprint: 'f'.repeat(64), fingerprintBytes: 5 }] };
    const again = tailer(dir, {}, saved);
    await again.t.scan();
    assert.deepEqual(await drain(again.t), range(0, 10));
    assert.ok(again.events.some((e) => e.kind === 'position_reset' && e.reason === 'fingerprint_mismatch'));
    assert.deepEqual(again.events.filter((e) => e.kind === 'lines_lost'), [{ kind: 'lines_lost', path: old, lines: undefined, bytes: 587_000, reason: 'vanished_while_stopped' }]);
    assert.equal(again.stats.bytesLost, 587_000);
    assert.equal(again.stats.linesLost, 0, 'never opened: its lines cannot be counted');
    await again.t.close();
  });
});

test('startAt end skips what exists at the very first start only; files found later are read whole', async () => {
  await withTempDir(async (dir) => {
    const log = new RollingFile(join(dir, 'access.log'), 1_000_000, 3);
    log.write(seqLines(0, 5));
    const { t } = tailer(dir, { startAt: 'end' });
    await t.scan();
    log.write(seqLines(5, 2));
    log.roll();
    log.write(seqLines(7, 2));
    const got = await drain(t);
    log.close();
    assert.deepEqual(got, [5, 6, 7, 8]);
    await t.close();
  });
});

test('a file truncated in place is read again from its start, and counted', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'access.log');
    writeFileSync(path, seqLines(0, 5));
    const { t, stats, events } = tailer(dir);
    await t.scan();
    await drain(t);
    truncateSync(path, 0);
    appendFileSync(path, seqLines(5, 2));
    await t.scan();
    assert.deepEqual(await drain(t), [5, 6]);
    assert.equal(stats.fileTruncations, 1);
    assert.ok(events.some((e) => e.kind === 'file_truncated'));
    await t.close();
  });
});

test('the unterminated last line of a rotated file is shipped once the file stayed quiet for rotateWait', async () => {
  await withTempDir(async (dir) => {
    const log = new RollingFile(join(dir, 'access.log'));
    const { t, clock } = tailer(dir);
    log.write(`${seqLines(0, 2)}{"seq":2,"cut":"mid-li`);
    await t.scan();
    assert.deepEqual(await drain(t), [0, 1]);
    log.roll();
    log.write(seqLines(3, 1));
    assert.deepEqual(await drain(t), [3], 'not before rotateWait');
    clock.advance(1500);
    await t.scan();
    assert.deepEqual(await drain(t), [2]);
    log.close();
    await t.close();
  });
});

test('long lines are cut and counted; excluded names are never opened', async () => {
  await withTempDir(async (dir) => {
    const long = `{"seq":1,"x":"${'y'.repeat(5000)}"}`;
    writeFileSync(join(dir, 'access.log'), `${long}\n${seqLines(2, 1)}`);
    writeFileSync(join(dir, 'access.log.2.gz'), 'binary');
    const { t, stats } = tailer(dir);
    await t.scan();
    const r = await t.read(10, 1 << 20);
    assert.equal(r.lines.length, 2);
    assert.equal(r.lines[0]?.truncatedFrom, long.length);
    assert.equal(r.lines[0]?.text.length, 1024);
    assert.equal(stats.linesTruncated, 1);
    assert.equal(t.files().length, 1);
    rmSync(join(dir, 'access.log.2.gz'));
    await t.close();
  });
});
