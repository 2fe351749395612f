// The access log against real destinations: a file in a temp dir, stdout of a child process, and
// a file that cannot be opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, withTempDir } from '@outrigger/testing';
import { BATCH_BYTES, createAccessLog, FLUSH_MS } from './access-log.ts';
import { ACCESS_LOG_FIELDS, formatAccessLogLine } from './access-log-record.ts';
import { OutriggerError } from './error-kinds.ts';
import { HTTP_RECORD, TCP_RECORD } from './testdata/records.ts';

const accessLogUrl = new URL('./access-log.ts', import.meta.url).href;
const recordsUrl = new URL('./testdata/records.ts', import.meta.url).href;

/** Runs an ES module script in a fresh Node process (type stripping on, as in production). */
function runChild(script: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
}

test('1000 records reach the file, one parseable line each, fields in order', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'logs', 'nested', 'access.log'); // parent directories do not exist yet
    const log = createAccessLog({ file });
    for (let i = 0; i < 1000; i++) log.write({ ...(i % 2 ? TCP_RECORD : HTTP_RECORD), request_id: `req-${i}` });
    await log.ready;
    await log.flush();
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'the file ends with a newline');
    assert.equal(lines.length, 1000);
    lines.forEach((line, i) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(Object.keys(parsed), [...ACCESS_LOG_FIELDS]);
      assert.equal(parsed.request_id, `req-${i}`);
    });
    assert.equal(log.droppedLines, 0);
    await log.close();
  });
});

test('lines of any size and script reach the file byte for byte: multi-byte UTF-8, one longer than a batch', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'access.log');
    const log = createAccessLog({ file });
    await log.ready;
    // 3-byte and 4-byte characters, lines filling batches unevenly, and one line of ~3 batches.
    const agents = ['ünïcödé ✓ 🚀 '.repeat(40), 'x', '✓'.repeat(Math.ceil((BATCH_BYTES * 3) / 3)), '日本語'.repeat(500)];
    const written: string[] = [];
    // 40 lines, ~6 MB: under the 16 MiB the log buffers before it drops.
    for (let i = 0; i < 40; i++) {
      const record = { ...HTTP_RECORD, request_id: `req-${i}`, user_agent: agents[i % agents.length]! };
      log.write(record);
      written.push(formatAccessLogLine(record));
    }
    await log.flush();
    assert.equal(readFileSync(file, 'utf8'), written.join(''));
    assert.equal(log.droppedLines, 0);
    await log.close();
  });
});

test('the file is appended to, and writes after close are ignored', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'access.log');
    writeFileSync(file, 'earlier\n');
    const log = createAccessLog({ file });
    await log.ready;
    await log.flush(); // nothing pending: resolves at once
    log.write(HTTP_RECORD);
    await log.close();
    log.write(TCP_RECORD);
    await log.flush();
    await log.close();
    assert.equal(readFileSync(file, 'utf8'), 'earlier\n' + formatAccessLogLine(HTTP_RECORD));
  });
});

test('a file that cannot be opened rejects ready with an error naming the path', async () => {
  await withTempDir(async (dir) => {
    const notADir = join(dir, 'plain-file');
    writeFileSync(notADir, '');
    const file = join(notADir, 'access.log'); // ENOTDIR even for root
    const errors: OutriggerError[] = [];
    const log = createAccessLog({ file, onError: (e) => errors.push(e) });
    log.write(HTTP_RECORD); // before the failure is known: buffered, must not throw
    const flushed = log.flush(); // waits on a destination that then fails: must still settle
    await assert.rejects(log.ready, (err: unknown) =>
      err instanceof OutriggerError && err.kind === 'log_destination_unavailable' && err.message.includes(file));
    assert.equal(errors.length, 1);
    await flushed;
    log.write(HTTP_RECORD);
    await log.flush();
    await log.close();
  });
});

test('a process whose access log failed to open still exits cleanly', async () => {
  await withTempDir(async (dir) => {
    const notADir = join(dir, 'plain-file');
    writeFileSync(notADir, '');
    const script = `
      import { createAccessLog } from ${JSON.stringify(accessLogUrl)};
      import { HTTP_RECORD } from ${JSON.stringify(recordsUrl)};
      // Nobody awaits ready: the failure must reach onError without an unhandled rejection.
      const log = createAccessLog({ file: ${JSON.stringify(join(notADir, 'access.log'))}, onError: (e) => console.log(e.kind) });
      log.write(HTTP_RECORD);`;
    const r = runChild(script);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'log_destination_unavailable\n');
    assert.equal(r.status, 0);
  });
});

test('past the buffer limit whole batches are dropped and their lines counted, never queued without bound', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'access.log');
    const record = (i: number) => ({ ...HTTP_RECORD, path: `/n/${String(i).padStart(6, '0')}` }); // lines of one length
    const line = formatAccessLogLine(record(0));
    const perBatch = Math.ceil(BATCH_BYTES / line.length); // a batch is handed over when it reaches BATCH_BYTES
    // Room for two batches: the third and later are dropped while the file is still opening.
    const log = createAccessLog({ file, maxBufferedBytes: Math.floor(perBatch * line.length * 2.5) });
    const total = perBatch * 5;
    for (let i = 0; i < total; i++) log.write(record(i)); // all before the file is open
    await log.ready;
    await log.flush();
    const lines = readFileSync(file, 'utf8').split('\n').slice(0, -1);
    assert.equal(lines.length, perBatch * 2);
    assert.equal(log.droppedLines, total - perBatch * 2);
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { path: string }).path), Array.from({ length: perBatch * 2 }, (_, i) => record(i).path));
    await log.close();
  });
});

test('a quiet log is written out within FLUSH_MS without flush()', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'access.log');
    const log = createAccessLog({ file });
    await log.ready;
    log.write(HTTP_RECORD);
    assert.equal(readFileSync(file, 'utf8'), '', 'held in the batch at first');
    await waitFor(() => readFileSync(file, 'utf8') === formatAccessLogLine(HTTP_RECORD), 'the line in the file', FLUSH_MS * 8);
    await log.close();
  });
});

test('a process that exits without closing the log still writes its last batch', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'access.log');
    const r = runChild(`
      import { createAccessLog } from ${JSON.stringify(accessLogUrl)};
      import { HTTP_RECORD } from ${JSON.stringify(recordsUrl)};
      const log = createAccessLog({ file: ${JSON.stringify(file)} });
      await log.ready;
      for (let i = 0; i < 3; i++) log.write(HTTP_RECORD);
      process.exit(0);`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(file, 'utf8'), formatAccessLogLine(HTTP_RECORD).repeat(3));
  });
});

test('stdout: lines arrive on the process stdout, complete when the process closes the log', () => {
  const script = `
    import { createAccessLog } from ${JSON.stringify(accessLogUrl)};
    import { HTTP_RECORD, TCP_RECORD } from ${JSON.stringify(recordsUrl)};
    const log = createAccessLog({ stdout: true });
    for (let i = 0; i < 200; i++) log.write({ ...(i % 2 ? TCP_RECORD : HTTP_RECORD), request_id: 'r' + i });
    await log.ready;
    await log.close();`;
  const r = runChild(script);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 200);
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as { request_id: string }).request_id), Array.from({ length: 200 }, (_, i) => `r${i}`));
});

test('stdout and a file together get the same lines; no destination is a silent no-op', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'access.log');
    const script = `
      import { createAccessLog } from ${JSON.stringify(accessLogUrl)};
      import { HTTP_RECORD } from ${JSON.stringify(recordsUrl)};
      const log = createAccessLog({ stdout: true, file: ${JSON.stringify(file)} });
      log.write(HTTP_RECORD);
      await log.ready;
      await log.flush();`; // no close: pino flushes async destinations when the process exits
    const r = runChild(script);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, formatAccessLogLine(HTTP_RECORD));
    assert.equal(readFileSync(file, 'utf8'), formatAccessLogLine(HTTP_RECORD));
  });
  const none = createAccessLog({});
  none.write(HTTP_RECORD);
  await none.ready;
  await none.flush();
  await none.close();
});

test('the file rolls by size into numbered files by rename, keeping every line whole and in order', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'access.log');
    const log = createAccessLog({ file, maxFileBytes: 20_000, maxFiles: 3 });
    await log.ready;
    const lines = 400;
    // Traffic arrives over time: batches of 10 lines, each flushed before the next.
    for (let i = 0; i < lines; i++) {
      log.write({ ...HTTP_RECORD, path: `/seq/${i}` });
      if (i % 10 === 9) await log.flush();
    }
    await log.flush();
    await log.close();
    const names = readdirSync(dir).sort();
    assert.deepEqual(names, ['access.log', 'access.log.1', 'access.log.2', 'access.log.3'], 'older files beyond maxFiles are deleted');
    // Oldest first: .3, .2, .1, then the current file; together a contiguous tail of the sequence.
    const seq = ['access.log.3', 'access.log.2', 'access.log.1', 'access.log'].flatMap((n) =>
      readFileSync(join(dir, n), 'utf8').trim().split('\n').map((l) => Number((JSON.parse(l) as { path: string }).path.split('/')[2])),
    );
    assert.equal(seq.at(-1), lines - 1);
    for (let i = 1; i < seq.length; i++) assert.equal(seq[i], (seq[i - 1] as number) + 1, 'no line lost or reordered within the kept files');
    // A file may pass the limit by the lines buffered while the next one is being opened.
    for (const n of names) assert.ok(statSync(join(dir, n)).size <= 20_000 + 10 * 1000, `${n} stays near the limit`);
  });
});
