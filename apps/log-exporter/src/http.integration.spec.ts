// The real exporter and the HTTP NDJSON sink against a local aggregator: 503 + Retry-After then 200,
// the proxy's own rolling writer, dead letters, SIGTERM then restart (no loss, no duplicate), the
// admin port (promtool) and the build version, a corrupt positions file, a positions folder that
// cannot be written, bad configs named by key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccessLog, type AccessLogRecord } from '@outrigger/telemetry';
import { run, waitFor } from '@outrigger/testing';
import { AccessLogWriter, accessLine, seqOfLine, writePaced } from './testdata/access-log-writer.ts';
import { MAIN, startExporterProcess, testConfig, type ExporterProcess } from './testdata/exporter-process.ts';
import { startNdjsonServer, type NdjsonServer } from './testdata/ndjson-server.ts';

const record = (seq: number): AccessLogRecord => ({
  time: new Date(1_735_787_045_678 + seq).toISOString(), direction: 'inbound', protocol: 'http/1.1', method: 'GET', path: `/orders?seq=${seq}`,
  authority: 'orders:8080', response_code: 200, response_flags: '-', error: null, bytes_received: 0, bytes_sent: 1532, duration_ms: 4.1,
  upstream_service_time_ms: 3.8, upstream_host: '127.0.0.1:8080', downstream_remote_address: '10.244.1.5:51234',
  downstream_local_address: '10.244.2.7:8080', peer_identity: null, tls: 'mutual', request_id: String(seq), user_agent: 'curl/8.5.0', x_forwarded_for: null,
});

describe('log exporter -> HTTP NDJSON', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'outrigger-logship-http-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function caseDir(name: string): string {
    const base = join(dir, name);
    mkdirSync(join(base, 'logs'), { recursive: true });
    return base;
  }
  const sinkYaml = (server: NdjsonServer) => `  kind: http\n  url: http://127.0.0.1:${server.port}/ingest\n  timeout: 5s`;

  function counts(lines: string[], total: number): { missing: number; duplicates: number; corrupt: number } {
    const seen = new Uint32Array(total);
    let corrupt = 0;
    for (const l of lines) {
      const seq = seqOfLine(l);
      if (seq < 0 || seq >= total || l !== accessLine(seq)) corrupt++;
      else seen[seq] = (seen[seq] as number) + 1;
    }
    let missing = 0;
    let duplicates = 0;
    for (const n of seen) n === 0 ? missing++ : (duplicates += n - 1);
    return { missing, duplicates, corrupt };
  }

  test('503 with Retry-After, then 200: Retry-After is waited out, 0 lost, 0 duplicated', async () => {
    const base = caseDir('retry-after');
    const server = await startNdjsonServer();
    const downUntil = Date.now() + 2500;
    server.answer = () => (Date.now() < downUntil ? { status: 503, headers: { 'retry-after': '1' }, body: 'overloaded' } : { status: 200 });
    const writer = new AccessLogWriter(join(base, 'logs', 'access.log'), 2 * 1024 * 1024, 10);
    let exporter: ExporterProcess | undefined;
    try {
      exporter = await startExporterProcess(join(base, 'exporter.yaml'), testConfig(base, sinkYaml(server)));
      const TOTAL = 20_000;
      await writePaced(writer, TOTAL, 1000, 20);
      writer.close();
      await waitFor(() => server.takenCount >= TOTAL, 'all lines taken', 30_000);
      await new Promise((r) => setTimeout(r, 300)); // anything sent twice would arrive now
      const c = counts(server.taken, TOTAL);
      process.stdout.write(`# HTTP 503 then 200: ${TOTAL} lines, ${c.missing} lost, ${c.duplicates} duplicated, ${server.requests.filter((r) => r.status === 503).length} answered 503\n`);
      assert.deepEqual(c, { missing: 0, duplicates: 0, corrupt: 0 });
      // The same batch (same first line) is not sent again sooner than Retry-After says.
      const tries = new Map<string, number[]>();
      for (const r of server.requests) tries.set(r.lines[0] ?? '', [...(tries.get(r.lines[0] ?? '') ?? []), r.at]);
      let retried = 0;
      for (const times of tries.values()) {
        for (let i = 1; i < times.length; i++) {
          retried++;
          assert.ok((times[i] as number) - (times[i - 1] as number) >= 950, `a retry after ${(times[i] as number) - (times[i - 1] as number)} ms`);
        }
      }
      assert.ok(retried > 0, 'some batches were retried');
      assert.ok((await exporter.metric('outrigger_log_exporter_lines_failed_total')) > 0);
    } finally {
      await exporter?.kill();
      await server.close();
    }
  });

  test("the proxy's own access-log writer rolling by rename every 256 KiB: every record arrives once", async () => {
    const base = caseDir('proxy-writer');
    const server = await startNdjsonServer();
    const log = createAccessLog({ file: join(base, 'logs', 'access.log'), maxFileBytes: 256 * 1024, maxFiles: 20 });
    await log.ready;
    let exporter: ExporterProcess | undefined;
    try {
      exporter = await startExporterProcess(join(base, 'exporter.yaml'), testConfig(base, sinkYaml(server)));
      const TOTAL = 20_000;
      for (let i = 0; i < TOTAL; i += 500) {
        for (let j = i; j < i + 500; j++) log.write(record(j));
        await log.flush();
        await new Promise((r) => setTimeout(r, 5));
      }
      await log.close();
      assert.equal(log.droppedLines, 0);
      await waitFor(() => server.takenCount >= TOTAL, 'all records taken', 30_000);
      await new Promise((r) => setTimeout(r, 300));
      const seqs = server.taken.map((l) => Number((JSON.parse(l) as { request_id: string }).request_id));
      assert.equal(new Set(seqs).size, TOTAL, 'every record');
      assert.equal(seqs.length, TOTAL, 'once');
      assert.ok(readdirSync(join(base, 'logs')).length >= 10, 'the file rolled');
    } finally {
      await exporter?.kill();
      await server.close();
    }
  });

  test('a 400 is not retried: the batch goes to the dead-letter file with the reason; long and non-JSON lines arrive marked', async () => {
    const base = caseDir('dead-letter');
    const server = await startNdjsonServer();
    server.answer = (lines) => (lines.some((l) => l.includes('"poison"')) ? { status: 400, body: 'field "poison" is not allowed' } : { status: 200 });
    const long = `{"time":"2025-01-02T03:04:05.678Z","path":"/${'a'.repeat(2000)}"}`;
    writeFileSync(join(base, 'logs', 'access.log'), `${accessLine(0)}\nnot json at all\n{"poison":true}\n${long}\n`);
    let exporter: ExporterProcess | undefined;
    try {
      exporter = await startExporterProcess(join(base, 'exporter.yaml'), testConfig(base, sinkYaml(server), '').replace('pollInterval: 50ms', 'pollInterval: 50ms\n  maxLineBytes: 1KiB').replace('batch: { maxWait: 50ms }', 'batch: { maxWait: 50ms, maxLines: 1 }'));
      await waitFor(async () => (await exporter?.metric('outrigger_log_exporter_lines_dead_lettered_total')) === 1 && server.takenCount === 3, 'shipped and dead-lettered', 10_000);
      assert.equal(server.requests.filter((r) => r.status === 400).length, 1, 'a 400 is never retried');
      const letters = readFileSync(join(base, 'state', 'dead-letter.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(letters.length, 1);
      assert.deepEqual([letters[0]?.sink, letters[0]?.reason, letters[0]?.detail, letters[0]?.line], ['http', 'http_status', 'HTTP 400: field "poison" is not allowed', '{"poison":true}']);
      assert.equal(server.taken[0], accessLine(0));
      assert.equal(server.taken[1], '{"message":"not json at all"}');
      const cut = JSON.parse(server.taken[2] as string) as { message: string; truncated: boolean; original_bytes: number };
      assert.equal(cut.truncated, true);
      assert.equal(cut.original_bytes, long.length);
      assert.equal(cut.message, `${long.slice(0, 1024)} [truncated: ${long.length} bytes]`);
      assert.equal(await exporter.metric('outrigger_log_exporter_lines_truncated_total'), 1);
    } finally {
      await exporter?.kill();
      await server.close();
    }
  });

  test('SIGTERM flushes within the timeout and writes the positions file: a restart sends nothing twice', async () => {
    const base = caseDir('sigterm');
    const server = await startNdjsonServer();
    server.answer = () => ({ status: 200, delayMs: 150 }); // a slow aggregator: batches are in flight at the stop
    const writer = new AccessLogWriter(join(base, 'logs', 'access.log'), 1024 * 1024, 10);
    let exporter: ExporterProcess | undefined;
    try {
      exporter = await startExporterProcess(join(base, 'exporter.yaml'), testConfig(base, sinkYaml(server)));
      const admin = `http://127.0.0.1:${exporter.adminPort}`;
      assert.equal((await fetch(`${admin}/ready`)).status, 200);
      assert.equal((await fetch(`${admin}/live`)).status, 200);
      const TOTAL = 60_000;
      writer.writeLines(0, TOTAL);
      writer.close();
      await waitFor(() => server.takenCount > 0, 'a first batch taken', 10_000);
      const started = Date.now();
      const stopped = await exporter.stop(); // in-flight batches are waited for, up to shutdown.timeout
      assert.equal(stopped.code, 0, exporter.stderr());
      assert.ok(Date.now() - started < 6000, 'bounded by shutdown.timeout');
      assert.match(exporter.stderr(), /"msg":"stopped"/);
      const positions = JSON.parse(readFileSync(join(base, 'state', 'positions.json'), 'utf8')) as { files: Array<{ path: string; offset: number }> };
      const taken = server.takenCount;
      assert.ok(taken > 0 && taken < TOTAL, `${taken} taken before the stop`);
      server.answer = () => ({ status: 200 });
      exporter = await startExporterProcess(join(base, 'exporter.yaml'), testConfig(base, sinkYaml(server)));
      await waitFor(() => server.takenCount >= TOTAL, 'the rest after the restart', 10_000);
      await exporter.stop();
      const c = counts(server.taken, TOTAL);
      process.stdout.write(`# SIGTERM then restart: ${TOTAL} lines, ${taken} before the stop, ${c.missing} lost, ${c.duplicates} duplicated\n`);
      assert.deepEqual(c, { missing: 0, duplicates: 0, corrupt: 0 });
      const file = positions.files.find((f) => f.path.endsWith('access.log'));
      assert.ok(file && file.offset <= statSync(join(base, 'logs', 'access.log')).size);
    } finally {
      await exporter?.kill();
      await server.close();
    }
  });

  test('/metrics carries the exporter metrics and passes promtool check metrics', async () => {
    const base = caseDir('metrics');
    const server = await startNdjsonServer();
    writeFileSync(join(base, 'logs', 'access.log'), `${accessLine(1)}\n`);
    let exporter: ExporterProcess | undefined;
    try {
      exporter = await startExporterProcess(join(base, 'exporter.yaml'), testConfig(base, sinkYaml(server)));
      await waitFor(async () => (await exporter?.metric('outrigger_log_exporter_lines_shipped_total')) === 1, 'shipped', 10_000);
      const body = await (await fetch(`http://127.0.0.1:${exporter.adminPort}/metrics`)).text();
      for (const name of ['lines_read_total', 'lines_shipped_total', 'lines_failed_total', 'lines_dead_lettered_total', 'lines_truncated_total', 'lines_lost_total', 'lag_bytes', 'last_success_timestamp_seconds']) {
        assert.match(body, new RegExp(`^# TYPE outrigger_log_exporter_${name} `, 'm'));
      }
      assert.ok((await exporter.metric('outrigger_log_exporter_last_success_timestamp_seconds')) > Date.now() / 1000 - 60);
      assert.equal(await exporter.metric('outrigger_log_exporter_lag_bytes'), 0);
      const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
      assert.match(body, new RegExp(`^outrigger_build_info\\{version="${version.replaceAll('.', '\\.')}",node_version="${process.version}"\\} 1$`, 'm'));
      if (existsSync('/usr/bin/promtool')) {
        // Our own metrics, as DESIGN section 5 asks (prom-client's nodejs_* gauges end in _total).
        const own = `${body.split('\n').filter((l) => /^(# (HELP|TYPE) )?outrigger_/.test(l) && !/^(# (HELP|TYPE) )?outrigger_(process|nodejs)_/.test(l)).join('\n')}\n`;
        const r = await run('/usr/bin/promtool', ['check', 'metrics'], { input: own });
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      }
    } finally {
      await exporter?.kill();
      await server.close();
    }
  });

  test('an unreadable positions file is set aside and every file is read from its start (startAt: end notwithstanding)', async () => {
    const base = caseDir('corrupt-positions');
    const server = await startNdjsonServer();
    writeFileSync(join(base, 'logs', 'access.log'), `${accessLine(0)}\n${accessLine(1)}\n`);
    mkdirSync(join(base, 'state'));
    writeFileSync(join(base, 'state', 'positions.json'), '{"version":1,"files":[{"dev":');
    let exporter: ExporterProcess | undefined;
    try {
      exporter = await startExporterProcess(join(base, 'exporter.yaml'), testConfig(base, sinkYaml(server)).replace('pollInterval: 50ms', 'pollInterval: 50ms\n  startAt: end'));
      await waitFor(() => server.takenCount === 2, 'both lines shipped', 10_000);
      assert.match(exporter.stderr(), /"msg":"positions file unreadable; set aside, reading every file from its start"/);
      assert.ok(readdirSync(join(base, 'state')).some((f) => /^positions\.json\.corrupt-\d+$/.test(f)));
    } finally {
      await exporter?.kill();
      await server.close();
    }
  });

  // sysfs refuses to create files even for root, whom a chmod would not stop.
  test('a positions folder that cannot be written stops the start: exit 1, the key, path and error named', { skip: !existsSync('/sys/kernel') && 'no /sys' }, async () => {
    const base = caseDir('positions-unwritable');
    writeFileSync(join(base, 'exporter.yaml'), testConfig(base, '  kind: stdout').replace(`${base}/state/positions.json`, '/sys/kernel/positions.json'));
    // Bounded: without the check it would run, failing every positions.interval.
    const r = await run(process.execPath, [MAIN, '--config', join(base, 'exporter.yaml')], { timeoutMs: 10_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /"msg":"ready"/);
    const last = JSON.parse(r.stderr.trim().split('\n').at(-1) ?? '{}') as { level: string; msg: string; err: string };
    assert.deepEqual([last.level, last.msg], ['fatal', 'cannot start']);
    assert.match(last.err, /^positions\.file \/sys\/kernel\/positions\.json: cannot create files in \/sys\/kernel: EACCES: /);
  });

  test('a bad config is refused with the key named, exit 1; --check accepts a good one', async () => {
    const base = caseDir('config');
    writeFileSync(join(base, 'bad.yaml'), 'sink: { kind: syslog, adress: "127.0.0.1:601" }\nbatch: { maxLines: 0 }\n');
    const bad = await run(process.execPath, [MAIN, '--config', join(base, 'bad.yaml')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /sink\.adress: unknown key \(did you mean "address"\?\)/);
    assert.match(bad.stderr, /batch\.maxLines: /);
    writeFileSync(join(base, 'good.yaml'), 'sink: { kind: stdout }\n');
    const good = await run(process.execPath, [MAIN, '--config', join(base, 'good.yaml'), '--check']);
    assert.equal(good.code, 0, good.stderr);
    const none = await run(process.execPath, [MAIN]);
    assert.equal(none.code, 2);
  });
});
