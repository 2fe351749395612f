// Bounded memory: 200 MiB written while the aggregator is down (the exporter stops reading at its
// in-flight limit; the files are the buffer), then caught up; RSS from /proc/<pid>/status stays
// under the budgets docs/reference/log-exporter.md states, and nothing is lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@outrigger/testing';
import { AccessLogWriter, accessLine } from './testdata/access-log-writer.ts';
import { startExporterProcess, testConfig, type ExporterProcess } from './testdata/exporter-process.ts';
import { startNdjsonServer, type NdjsonServer } from './testdata/ndjson-server.ts';

/**
 * Resident memory budgets of the exporter process, run as its binary runs (main.ts's V8 flags);
 * docs/reference/log-exporter.md states them. Idle, Node 24 with its TypeScript stripping and our
 * modules already takes about 114 MiB. While the aggregator is down the exporter holds its
 * in-flight batches and nothing else; catching up at full speed adds the garbage of lines streaming
 * through (the live heap stays near 25 MiB; the rest is V8's working room).
 */
const RSS_BUDGET_DOWN = 150 * 1024 * 1024;
const RSS_BUDGET_CATCH_UP = 192 * 1024 * 1024;
const WRITE_BYTES = 200 * 1024 * 1024;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'outrigger-logship-mem-'));
  mkdirSync(join(dir, 'logs'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test(`RSS stays under ${RSS_BUDGET_DOWN / 1024 / 1024} MiB while ${WRITE_BYTES / 1024 / 1024} MiB pile up with the aggregator down, and under ${RSS_BUDGET_CATCH_UP / 1024 / 1024} MiB while it catches up`, async () => {
  const port = await freePort(); // nobody listens yet: the aggregator is down
  const writer = new AccessLogWriter(join(dir, 'logs', 'access.log'), 50 * 1024 * 1024, 10);
  let exporter: ExporterProcess | undefined;
  let server: NdjsonServer | undefined;
  let peak = 0;
  let sampler: NodeJS.Timeout | undefined;
  try {
    exporter = await startExporterProcess(join(dir, 'exporter.yaml'), testConfig(dir, `  kind: http\n  url: http://127.0.0.1:${port}/ingest`));
    const sample = () => {
      try {
        peak = Math.max(peak, exporter?.rss() ?? 0);
      } catch {
        // the process is gone; the test fails elsewhere
      }
    };
    sampler = setInterval(sample, 50);
    const perLine = Buffer.byteLength(`${accessLine(100_000)}\n`);
    const total = Math.ceil(WRITE_BYTES / perLine);
    for (let i = 0; i < total; i += 5000) {
      writer.writeLines(i, Math.min(5000, total - i));
      await new Promise((r) => setTimeout(r, 5));
    }
    writer.close();
    await new Promise((r) => setTimeout(r, 1500));
    const read = await exporter.metric('outrigger_log_exporter_lines_read_total');
    const lag = await exporter.metric('outrigger_log_exporter_lag_bytes');
    const downPeak = peak;
    assert.ok(downPeak < RSS_BUDGET_DOWN, `peak RSS ${downPeak} bytes while the aggregator is down`);
    assert.ok(read <= 16 * 1000 + 1000 + 262_144 / 300, `${read} lines read while the aggregator is down: reading must stop at the in-flight limit`);
    assert.ok(lag >= WRITE_BYTES * 0.9, `lag ${lag} bytes`);

    server = await startNdjsonServer(port); // the aggregator comes up
    server.keepLines = false;
    await waitFor(() => (server?.takenCount ?? 0) >= total, `all ${total} lines taken`, 90_000, 100);
    sample();
    clearInterval(sampler);
    process.stdout.write(`# memory: ${total} lines (${(WRITE_BYTES / 1024 / 1024).toFixed(0)} MiB, ${writer.rolls} rolls); peak RSS ${(downPeak / 1024 / 1024).toFixed(1)} MiB while down, ${(peak / 1024 / 1024).toFixed(1)} MiB overall; budgets ${RSS_BUDGET_DOWN / 1024 / 1024} and ${RSS_BUDGET_CATCH_UP / 1024 / 1024} MiB\n`);
    assert.ok(peak < RSS_BUDGET_CATCH_UP, `peak RSS ${peak} bytes while catching up`);
    assert.equal(server.takenCount, total, 'nothing lost, nothing doubled');
    assert.equal(await exporter.metric('outrigger_log_exporter_lines_lost_total'), 0);
  } finally {
    clearInterval(sampler);
    await exporter?.kill();
    await server?.close();
  }
});
