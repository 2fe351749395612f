// The real exporter to a real syslog-ng (RFC 5424, octet counting, loopback): 100 000 lines while
// the file rolls, TLS, syslog-ng stopped and started, the exporter SIGKILLed and restarted. Counted
// at the receiver by sequence number: nothing lost, duplicates counted and bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor, writeCertFixture } from '@outrigger/testing';
import { AccessLogWriter, accessLine, seqOfLine, writePaced } from './testdata/access-log-writer.ts';
import { startExporterProcess, testConfig, type ExporterProcess } from './testdata/exporter-process.ts';
import { syslogNg, syslogNgAvailable, type SyslogNg } from './testdata/syslog-ng.ts';

interface Tally {
  missing: number[];
  duplicates: number;
  corrupt: number;
}

/** What the receiver got for seq 0..total-1: every line must be the exact line written. */
function tally(lines: string[], total: number): Tally {
  const seen = new Uint32Array(total);
  let corrupt = 0;
  for (const line of lines) {
    const seq = seqOfLine(line);
    if (seq < 0 || seq >= total || line !== accessLine(seq)) corrupt++;
    else seen[seq] = (seen[seq] as number) + 1;
  }
  const missing: number[] = [];
  let duplicates = 0;
  for (let i = 0; i < total; i++) {
    const n = seen[i] as number;
    if (n === 0) missing.push(i);
    else duplicates += n - 1;
  }
  return { missing, duplicates, corrupt };
}

const skip = syslogNgAvailable() ? false : 'syslog-ng is not installed (Debian package syslog-ng-core)';

describe('log exporter -> syslog-ng', { skip }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'outrigger-logship-it-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A fresh case directory, syslog-ng, and the exporter config pointing at them. */
  async function setup(name: string): Promise<{ base: string; writer: AccessLogWriter; server: SyslogNg; config: string; yaml: string }> {
    const base = join(dir, name);
    mkdirSync(join(base, 'logs'), { recursive: true });
    mkdirSync(join(base, 'syslog-ng'), { recursive: true });
    const server = syslogNg(join(base, 'syslog-ng'), await freePort());
    await server.start();
    const writer = new AccessLogWriter(join(base, 'logs', 'access.log'), 4 * 1024 * 1024, 10);
    const yaml = testConfig(base, `  kind: syslog\n  address: "127.0.0.1:${server.port}"\n  hostname: test-pod`);
    return { base, writer, server, config: join(base, 'exporter.yaml'), yaml };
  }

  async function received(server: SyslogNg, total: number, timeoutMs: number): Promise<Tally> {
    let last: Tally = { missing: [], duplicates: 0, corrupt: 0 };
    await waitFor(() => (last = tally(server.lines(), total)).missing.length === 0, `all ${total} lines at syslog-ng`, timeoutMs, 200).catch(() => {});
    return last;
  }

  test('100 000 lines written while the file rolls arrive complete and unchanged, with no duplicate', async () => {
    const { writer, server, config, yaml } = await setup('complete');
    let exporter: ExporterProcess | undefined;
    try {
      exporter = await startExporterProcess(config, yaml);
      const TOTAL = 100_000;
      await writePaced(writer, TOTAL, 2000, 20);
      writer.close();
      const t = await received(server, TOTAL, 60_000);
      assert.ok(writer.rolls >= 5, `the file rolled ${writer.rolls} times`);
      assert.equal(t.missing.length, 0, `missing ${t.missing.length}, first ${t.missing.slice(0, 5)}`);
      assert.equal(t.corrupt, 0);
      assert.equal(t.duplicates, 0);
      await waitFor(async () => (await exporter?.metric('outrigger_log_exporter_lines_shipped_total')) === TOTAL, 'shipped metric', 5000);
      assert.equal(await exporter.metric('outrigger_log_exporter_lines_lost_total'), 0);
      process.stdout.write(`# complete: ${TOTAL} lines, ${writer.rolls} rolls, 0 lost, ${t.duplicates} duplicated\n`);
      const stopped = await exporter.stop();
      assert.equal(stopped.code, 0, exporter.stderr());
    } finally {
      await exporter?.kill();
      await server.stop();
    }
  });

  test('syslog-ng stopped mid-stream and started again: nothing lost', async () => {
    const { writer, server, config, yaml } = await setup('aggregator-restart');
    let exporter: ExporterProcess | undefined;
    try {
      exporter = await startExporterProcess(config, yaml);
      const TOTAL = 40_000;
      await writePaced(writer, TOTAL, 1000, 20, async (written) => {
        if (written === 10_000) await server.stop();
        if (written === 25_000) await server.start();
      });
      writer.close();
      const t = await received(server, TOTAL, 60_000);
      assert.equal(t.missing.length, 0, `missing ${t.missing.length}, first ${t.missing.slice(0, 5)}`);
      assert.equal(t.corrupt, 0);
      assert.ok((await exporter.metric('outrigger_log_exporter_lines_failed_total')) > 0, 'sends failed while syslog-ng was down');
      process.stdout.write(`# syslog-ng restart: ${TOTAL} lines, 0 lost, ${t.duplicates} duplicated\n`);
      assert.ok(t.duplicates <= 16 * 1000, `${t.duplicates} duplicates: at most the batches in flight when syslog-ng stopped`);
    } finally {
      await exporter?.kill();
      await server.stop();
    }
  });

  test('over TLS (RFC 5425), the server certificate checked against the CA: every line arrives', async () => {
    const base = join(dir, 'tls');
    mkdirSync(join(base, 'logs'), { recursive: true });
    mkdirSync(join(base, 'syslog-ng'), { recursive: true });
    const certs = writeCertFixture(join(base, 'certs'));
    const server = syslogNg(join(base, 'syslog-ng'), await freePort(), { cert: certs.server.cert, key: certs.server.key });
    await server.start();
    let exporter: ExporterProcess | undefined;
    try {
      const writer = new AccessLogWriter(join(base, 'logs', 'access.log'), 1024 * 1024, 10);
      writer.writeLines(0, 5000);
      writer.close();
      const sink = `  kind: syslog\n  address: "127.0.0.1:${server.port}"\n  tls: { caFile: ${certs.caCert}, serverName: localhost }`;
      exporter = await startExporterProcess(join(base, 'exporter.yaml'), testConfig(base, sink));
      const t = await received(server, 5000, 30_000);
      assert.deepEqual({ missing: t.missing.length, duplicates: t.duplicates, corrupt: t.corrupt }, { missing: 0, duplicates: 0, corrupt: 0 });
    } finally {
      await exporter?.kill();
      await server.stop();
    }
  });

  test('the exporter killed with SIGKILL mid-stream and restarted: nothing lost, duplicates counted', async () => {
    const { base, writer, server, config, yaml } = await setup('exporter-kill');
    let exporter: ExporterProcess | undefined;
    try {
      exporter = await startExporterProcess(config, yaml);
      const TOTAL = 40_000;
      await writePaced(writer, TOTAL, 1000, 20, async (written) => {
        if (written === 15_000) await exporter?.kill();
        if (written === 25_000) exporter = await startExporterProcess(config, yaml);
      });
      writer.close();
      const t = await received(server, TOTAL, 60_000);
      assert.equal(t.missing.length, 0, `missing ${t.missing.length}, first ${t.missing.slice(0, 5)}`);
      assert.equal(t.corrupt, 0);
      // Bounded by what was acknowledged after the last positions write plus the batches in flight.
      assert.ok(t.duplicates <= 16 * 1000 + 5000, `${t.duplicates} duplicates`);
      process.stdout.write(`# exporter SIGKILL: ${TOTAL} lines, 0 lost, ${t.duplicates} duplicated\n`);
      const positions = JSON.parse(readFileSync(join(base, 'state', 'positions.json'), 'utf8')) as { files: unknown[] };
      assert.ok(positions.files.length > 0);
    } finally {
      await exporter?.kill();
      await server.stop();
    }
  });
});
