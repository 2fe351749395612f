// Log exporter throughput to a real syslog-ng on loopback: the real outrigger-log-exporter ships a
// backlog of access-log lines, timed from its "ready" to the last byte in syslog-ng's output file,
// then checked complete. Writes its section of bench/RESULTS.md.

//   node bench/log-exporter.ts [--lines 1000000] [--runs 3] [--dir /dev/shm] [--out bench/RESULTS.md] [--keep]
// Each run ships the same backlog afresh (new syslog-ng output, no positions); the median is the
// figure. Files go to tmpfs (/dev/shm) when there is one: on a disk, writeback of the 600 MB
// backlog and of syslog-ng's output made the figure swing by 3x from run to run.
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '@outrigger/testing';
import { AccessLogWriter, seqOfLine } from '../apps/log-exporter/src/testdata/access-log-writer.ts';
import { startExporterProcess } from '../apps/log-exporter/src/testdata/exporter-process.ts';
import { syslogNg, syslogNgAvailable } from '../apps/log-exporter/src/testdata/syslog-ng.ts';

const HERE = import.meta.dirname;
const BEGIN = '<!-- bench/log-exporter.ts: generated section, rewritten by each run -->';
const END = '<!-- bench/log-exporter.ts: end of generated section -->';

const { values: o } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    dir: { type: 'string', default: existsSync('/dev/shm') ? '/dev/shm' : tmpdir() },
    out: { type: 'string', default: join(HERE, 'RESULTS.md') },
    keep: { type: 'boolean', default: false },
  },
});
const LINES = Number(o.lines);
const RUNS = Number(o.runs);
if (!syslogNgAvailable()) {
  console.error('bench/log-exporter.ts: needs /usr/sbin/syslog-ng (Debian package syslog-ng-core)');
  process.exit(2);
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

async function countReceived(file: string, total: number): Promise<{ lines: number; missing: number; duplicates: number }> {
  const seen = new Uint8Array(total);
  let lines = 0;
  let duplicates = 0;
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const parts = (rest + (chunk as string)).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      lines++;
      const seq = seqOfLine(line);
      if (seq >= 0 && seq < total) seen[seq] ? duplicates++ : (seen[seq] = 1);
    }
  }
  return { lines, missing: seen.reduce((n, v) => n + (v ? 0 : 1), 0), duplicates };
}

interface Run {
  seconds: number;
  startup: number;
  cpu: number;
  sysCpu: number;
  peakRss: number;
  received: Awaited<ReturnType<typeof countReceived>>;
}

const dir = mkdtempSync(join(o.dir, 'outrigger-bench-logship-'));
let stopAll = async (): Promise<void> => {};
try {
  mkdirSync(join(dir, 'logs'));
  mkdirSync(join(dir, 'syslog-ng'));
  console.log(`writing ${LINES} access-log lines to ${dir}/logs ...`);
  const writer = new AccessLogWriter(join(dir, 'logs', 'access.log'), 64 * 1024 * 1024, 1000);
  for (let i = 0; i < LINES; i += 10_000) writer.writeLines(i, Math.min(10_000, LINES - i));
  writer.close();
  let inputBytes = 0;
  for (let n = 0; n <= writer.rolls; n++) inputBytes += statSync(join(dir, 'logs', n === 0 ? 'access.log' : `access.log.${n}`)).size;

  const results: Run[] = [];
  for (let run = 1; run <= RUNS; run++) {
    rmSync(join(dir, 'syslog-ng'), { recursive: true, force: true });
    rmSync(join(dir, 'state'), { recursive: true, force: true });
    mkdirSync(join(dir, 'syslog-ng'));
    const server = syslogNg(join(dir, 'syslog-ng'), await freePort());
    await server.start();
    // Defaults for everything that shapes throughput; only the places and the peer are set.
    const config = `files: { paths: ["${dir}/logs/access.log*"] }
positions: { file: ${dir}/state/positions.json }
deadLetter: { file: ${dir}/state/dead-letter.ndjson }
admin: { address: 127.0.0.1, port: 0 }
sink: { kind: syslog, address: "127.0.0.1:${server.port}", hostname: bench }
`;
    const started = performance.now();
    const exporter = await startExporterProcess(join(dir, 'exporter.yaml'), config);
    stopAll = async () => {
      await exporter.kill();
      await server.stop();
    };
    const ready = performance.now();
    const pid = exporter.child.pid as number;
    const syslogPid = server.pid as number;
    const cpu0 = cpuSeconds(pid);
    const sysCpu0 = cpuSeconds(syslogPid);
    let peakRss = 0;
    // syslog-ng writes each MSG (the line, BOM stripped) plus a newline: the same bytes as the input.
    for (;;) {
      peakRss = Math.max(peakRss, exporter.rss());
      const size = existsSync(server.outFile) ? statSync(server.outFile).size : 0;
      if (size >= inputBytes) break;
      if (performance.now() - ready > 600_000) throw new Error(`only ${size} of ${inputBytes} bytes after 10 minutes`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const done = performance.now();
    const cpu = cpuSeconds(pid) - cpu0;
    const sysCpu = cpuSeconds(syslogPid) - sysCpu0;
    await exporter.stop();
    await server.stop();
    const received = await countReceived(server.outFile, LINES);
    const r: Run = { seconds: (done - ready) / 1000, startup: (ready - started) / 1000, cpu, sysCpu, peakRss, received };
    results.push(r);
    console.log(`run ${run}: ${Math.round(LINES / r.seconds)} lines/s, ${r.received.missing} missing, ${r.received.duplicates} duplicated`);
  }
  const sorted = [...results].sort((a, b) => a.seconds - b.seconds);
  const median = sorted[Math.floor(sorted.length / 2)] as Run;
  const rate = LINES / median.seconds;
  const mbps = inputBytes / 1024 / 1024 / median.seconds;
  const missing = Math.max(...results.map((r) => r.received.missing));
  const duplicated = Math.max(...results.map((r) => r.received.duplicates));
  const command = `node bench/log-exporter.ts --lines ${LINES} --runs ${RUNS}${o.dir === '/dev/shm' ? '' : ` --dir ${o.dir}`}`;
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  const report = `Run ${new Date().toISOString().slice(0, 10)} on ${availableParallelism()} cores (${cpuModel}), ${(totalmem() / 1024 ** 3).toFixed(0)} GB, Node ${process.version}, syslog-ng-core (Debian) on 127.0.0.1, files in ${o.dir}.
Command: \`${command}\` (after \`export PATH=$PWD/node_modules/.bin:$PATH\`, from the repository root).

A backlog of ${LINES.toLocaleString('en-US')} proxy access-log lines (${(inputBytes / 1024 / 1024).toFixed(0)} MiB, ${Math.round(inputBytes / LINES)} bytes a line, rolled into ${writer.rolls + 1} files the proxy's way) shipped by the real \`outrigger-log-exporter\` with its defaults (1000 lines or 1 MiB per batch, 16 batches in flight, a syslog confirmation every 1 MiB, 8 connections) and its V8 flags over RFC 5424 + octet counting on TCP to syslog-ng (\`syslog()\` source, flow control, file destination). Timed from the exporter's \`ready\` to the last byte in syslog-ng's output file; exporter and syslog-ng share the machine's cores.

| measure | value (median of ${RUNS} runs) |
|---|---|
| lines/s | **${Math.round(rate).toLocaleString('en-US')}** (runs: ${results.map((r) => Math.round(LINES / r.seconds).toLocaleString('en-US')).join(', ')}) |
| MiB/s | ${mbps.toFixed(1)} |
| wall time | ${median.seconds.toFixed(2)} s (start to ready: ${median.startup.toFixed(2)} s, not included) |
| exporter CPU | ${median.cpu.toFixed(2)} s (${((median.cpu / median.seconds) * 100).toFixed(0)}% of one core) |
| syslog-ng CPU | ${median.sysCpu.toFixed(2)} s (${((median.sysCpu / median.seconds) * 100).toFixed(0)}% of one core) |
| exporter peak RSS | ${(Math.max(...results.map((r) => r.peakRss)) / 1024 / 1024).toFixed(0)} MiB (highest of the runs) |
| received, every run | ${LINES.toLocaleString('en-US')} lines: ${missing} missing, ${duplicated} duplicated (worst run) |
`;
  console.log(`\n${report}`);
  const file = resolve(o.out);
  const block = `${BEGIN}\n\n${report}\n${END}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start >= 0 && end > start) writeFileSync(file, text.slice(0, start) + block + text.slice(end + END.length));
  else writeFileSync(file, `${text.trimEnd()}\n\n## Log exporter (bench/log-exporter.ts)\n\n${block}\n`);
  console.log(`written to ${file}`);
  if (missing > 0) process.exitCode = 1;
} finally {
  await stopAll();
  if (!o.keep) rmSync(dir, { recursive: true, force: true });
}
