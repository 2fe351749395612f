// The exporter's Prometheus metrics, in a registry of its own: read from the shipper's counters
// when scraped (collect), so the shipping path never touches prom-client.
// docs/reference/log-exporter.md ("Metrics") documents each one.
import { Counter, Gauge, Registry } from 'prom-client';
import { FAILURE_REASONS, REJECT_REASONS, type ShipStats } from '@outrigger/logship';

export interface MetricsSource {
  readonly stats: ShipStats;
  lagBytes(): number;
  inFlight(): number;
  filesOpen(): number;
}

export const METRIC_PREFIX = 'outrigger_log_exporter_';

export function createExporterMetrics(source: MetricsSource, version = 'unknown'): Registry {
  const registry = new Registry();
  const registers = [registry];
  const { stats } = source;
  const total = (name: string, help: string, read: () => number) =>
    new Counter({
      name: METRIC_PREFIX + name, help, registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name: METRIC_PREFIX + name, help, registers,
      collect() {
        this.set(read());
      },
    });

  total('lines_read_total', 'Lines read from the followed files.', () => stats.linesRead);
  total('read_bytes_total', 'Bytes of lines read from the followed files.', () => stats.bytesRead);
  total('lines_shipped_total', 'Lines the sink acknowledged.', () => stats.linesShipped);
  new Counter({
    name: `${METRIC_PREFIX}lines_failed_total`, help: 'Lines in send attempts that failed and are retried, by reason.', labelNames: ['reason'], registers,
    collect() {
      this.reset();
      for (const reason of FAILURE_REASONS) this.inc({ reason }, stats.linesFailed.get(reason) ?? 0);
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}lines_dead_lettered_total`, help: 'Lines the destination refused for good, written to the dead-letter file, by reason.', labelNames: ['reason'], registers,
    collect() {
      this.reset();
      for (const reason of REJECT_REASONS) this.inc({ reason }, stats.linesDeadLettered.get(reason) ?? 0);
    },
  });
  total('lines_truncated_total', 'Lines longer than files.maxLineBytes, shipped cut and marked.', () => stats.linesTruncated);
  total('lines_lost_total', 'Lines of deleted files given up at files.maxOpenFiles with unread bytes.', () => stats.linesLost);
  total('lost_bytes_total', 'Unread bytes of files that went away before they were read: those given up, waiting files deleted before they were opened, files that vanished (or whose inode was reused) while the exporter was stopped.', () => stats.bytesLost);
  total('file_truncations_total', 'Followed files truncated in place (copytruncate) and read again from their start.', () => stats.fileTruncations);
  gauge('lag_bytes', 'Bytes in the followed files not yet acknowledged by the sink.', () => source.lagBytes());
  gauge('last_success_timestamp_seconds', 'When the sink last acknowledged a batch, in seconds since the Unix epoch; 0 = never.', () => stats.lastSuccessMs / 1000);
  gauge('batches_in_flight', 'Batches sent and not yet acknowledged.', () => source.inFlight());
  gauge('files_open', 'Files followed now (held open).', () => source.filesOpen());
  new Counter({
    name: `${METRIC_PREFIX}positions_writes_total`, help: 'Writes of the positions file, by result.', labelNames: ['result'], registers,
    collect() {
      this.reset();
      this.inc({ result: 'success' }, stats.positionsWrites);
      this.inc({ result: 'failure' }, stats.positionsWriteErrors);
    },
  });
  new Gauge({ name: 'outrigger_build_info', help: 'Always 1; the labels say which Outrigger and Node.js versions are running.', labelNames: ['version', 'node_version'], registers })
    .set({ version, node_version: process.version }, 1);
  return registry;
}
