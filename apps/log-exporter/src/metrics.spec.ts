// The exporter's metrics read the shipper's counters at scrape time: names, labels pre-filled for
// every bounded reason, and values that follow the counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILURE_REASONS, ShipStats } from '@outrigger/logship';
import { createExporterMetrics } from './metrics.ts';

test('every metric is there, in base units, and follows the counters between scrapes', async () => {
  const stats = new ShipStats();
  const registry = createExporterMetrics({ stats, lagBytes: () => 4096, inFlight: () => 3, filesOpen: () => 2 }, '1.2.3');
  stats.linesRead = 10;
  stats.linesShipped = 7;
  stats.addFailed('http_5xx', 5);
  stats.addDeadLettered('http_status', 2);
  stats.linesTruncated = 1;
  stats.lastSuccessMs = 1_700_000_000_500;
  let text = await registry.metrics();
  const value = (series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1]);
  assert.equal(value('outrigger_log_exporter_lines_read_total'), 10);
  assert.equal(value('outrigger_log_exporter_lines_shipped_total'), 7);
  assert.equal(value('outrigger_log_exporter_lines_failed_total{reason="http_5xx"}'), 5);
  assert.equal(value('outrigger_log_exporter_lines_failed_total{reason="connect_refused"}'), 0, 'every reason is exported, at 0 until it happens');
  assert.equal(text.split('\n').filter((l) => l.startsWith('outrigger_log_exporter_lines_failed_total{')).length, FAILURE_REASONS.length);
  assert.equal(value('outrigger_log_exporter_lines_dead_lettered_total{reason="http_status"}'), 2);
  assert.equal(value('outrigger_log_exporter_lines_truncated_total'), 1);
  assert.equal(value('outrigger_log_exporter_lag_bytes'), 4096);
  assert.equal(value('outrigger_log_exporter_batches_in_flight'), 3);
  assert.equal(value('outrigger_log_exporter_files_open'), 2);
  assert.equal(value('outrigger_log_exporter_last_success_timestamp_seconds'), 1_700_000_000.5);
  assert.match(text, /^outrigger_build_info\{version="1\.2\.3",node_version="v[\d.]+"\} 1$/m);
  stats.linesShipped = 9;
  text = await registry.metrics();
  assert.equal(value('outrigger_log_exporter_lines_shipped_total'), 9);
  for (const line of text.split('\n').filter((l) => l.startsWith('# TYPE'))) assert.match(line, /^# TYPE (outrigger_log_exporter_\w+_total counter|outrigger_log_exporter_\w+ gauge|outrigger_build_info gauge)$/);
});
