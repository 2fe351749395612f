// Turns the cells of one run into markdown: medians with their spread (min-max) over the
// repetitions, ratios to direct and to nginx, the access-log overhead, and the profile summary.
// Pure: data in, text out (run.ts writes it into RESULTS.md between its markers).
import type { LatencyResult, LoadResult } from './measure.ts';
import type { ProfileRun } from './cell.ts';
import type { AbResult } from './access-log-ab.ts';
import type { Startup, Topology } from './topologies.ts';

export interface CellResult {
  rep: number;
  topology: string;
  startups: Startup[];
  idleRssKiB: number[];
  /** Peak RSS per proxy during FRESH_RATE_S at the fixed rate right after start; absent in older raw files. */
  rssAtRateFreshKiB?: number[];
  keepAlive: LoadResult;
  close: LoadResult;
  /** null for the reference proxies, which skip it. */
  latency: LatencyResult | null;
  /** The same rate after a lead-in on the same pool (cell.ts WARM_POOL_S); null for the reference proxies. Absent in older raw files. */
  latencyWarm?: LatencyResult | null;
  light: LatencyResult;
  hey: { p50: number; p99: number; rps: number } | null;
  /** null for the reference proxies, which skip it. */
  bulk: { mbps: number; bytes: number; complete: boolean } | null;
  /** What the proxies' access logs held after the cell (all its phases, warm-up included). */
  accessLog: { bytes: number; lines: number };
  /** Share of the proxy CPU taken by processes not of this bench over the whole cell. */
  foreignPct: number;
  /** The same on the load generators' CPU (a stalled latency client inflates the tail). */
  loadForeignPct: number;
  /** Node proxies: proxy CPU µs/req of each warm-up chunk, in order. */
  warmup: number[];
}

export interface RunInfo {
  command: string;
  date: string;
  machine: string[];
  settings: string[];
  wallS: number;
  rateDurationS: number;
  warmupChunkS: number;
  loadAvg: { start: string; end: string };
  skipped: string[];
  /** Cells measured again because other processes used the proxy CPU. */
  redone: string[];
  maxForeign: number;
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stat(values: number[]): Stat | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? (v[mid] ?? 0) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
  return { median, min: v[0] ?? 0, max: v[v.length - 1] ?? 0, n: v.length };
}

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).replace(/,/g, ' ');
const cell = (s: Stat | null, digits = 0) => (s ? `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})` : '—');
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b !== 0 ? `${fmt(a / b, 2)}×` : '—');

export function renderReport(info: RunInfo, rates: { rate: number; light: number }, topologies: Topology[], cells: CellResult[], profile: ProfileRun | null, ab: AbResult[] = []): string {
  const of = (id: string) => cells.filter((c) => c.topology === id);
  const ran = topologies.filter((t) => of(t.id).length > 0);
  const s = (id: string, pick: (c: CellResult) => number | null) => stat(of(id).map(pick).filter((x): x is number => x !== null));
  // Runs before the user/kernel split was recorded have no stime: their cells show as missing.
  const sysOf = (c: CellResult) => c.keepAlive.proxySysUsPerReq ?? null;
  const med = (id: string | undefined, pick: (c: CellResult) => number | null) => (id ? s(id, pick)?.median : undefined);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const out: string[] = [];

  out.push('### Setup', '', `Command: \`${info.command}\` (${info.date}, ${fmt(info.wallS)} s wall).`, '');
  for (const m of info.machine) out.push(`- ${m}`);
  for (const m of info.settings) out.push(`- ${m}`);
  out.push(`- Load average (1, 5, 15 min) at start: ${info.loadAvg.start}; at end: ${info.loadAvg.end}.`);
  for (const m of info.skipped) out.push(`- Skipped: ${m}`);
  if (info.maxForeign > 0) {
    out.push(
      `- Before each cell the harness waits (up to 60 s) until the machine is under 10 % busy, and a cell during which other processes took more than ${info.maxForeign} % of CPU 0 or CPU 1 is measured again once${info.redone.length ? `: redone ${info.redone.join(', ')}` : ' (none was)'}. The "foreign" column shows what remained.`,
    );
  }
  out.push('', 'Each cell is "median (min–max)" over the repetitions; the topologies were run interleaved, each started fresh per repetition.', '');

  out.push('### Throughput and proxy CPU', '');
  out.push('| topology | req/s, keep-alive (wrk -c50) | proxy CPU µs/req | of it in the kernel (stime) µs/req | app CPU µs/req | req/s, new connection per request | proxy CPU µs/req (new conn.) | CPU 0 busy % under wrk (foreign % over the cell, worst rep) | CPU 1 busy % under wrk (foreign, worst rep) | errors |');
  out.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const t of ran) {
    const errors = sum(of(t.id).map((c) => c.keepAlive.errors + c.close.errors + (c.latency?.errors ?? 0) + c.light.errors));
    out.push(
      `| ${t.label} | ${cell(s(t.id, (c) => c.keepAlive.rps))} | ${cell(s(t.id, (c) => c.keepAlive.proxyCpuUsPerReq), 1)} | ${cell(s(t.id, sysOf), 1)} | ${cell(s(t.id, (c) => c.keepAlive.appCpuUsPerReq), 1)} | ${cell(s(t.id, (c) => c.close.rps))} | ${cell(s(t.id, (c) => c.close.proxyCpuUsPerReq), 1)} | ${fmt(s(t.id, (c) => c.keepAlive.proxyCpuBusyPct)?.median ?? NaN)} (${fmt(s(t.id, (c) => c.foreignPct)?.max ?? NaN)}) | ${fmt(s(t.id, (c) => c.keepAlive.loadCpuBusyPct)?.median ?? NaN)} (${fmt(s(t.id, (c) => c.loadForeignPct)?.max ?? NaN)}) | ${errors} |`,
    );
  }
  const warmed = ran.filter((t) => of(t.id).some((c) => c.warmup.length));
  if (warmed.length) {
    const chunks = Math.max(...warmed.flatMap((t) => of(t.id).map((c) => c.warmup.length)));
    out.push('', `### Warm-up of the Node proxies: proxy CPU µs/req in successive ${fmt(info.warmupChunkS)} s runs of wrk -c50 on a fresh process`, '');
    out.push('V8 compiles the hot paths in tiers as they run: a fresh sidecar costs much more per request than a warm one, so Node proxies get this warm-up before the measurements above (nginx and the app get 2 s).', '');
    out.push(`| topology | ${Array.from({ length: chunks }, (_, i) => `${fmt((i + 1) * info.warmupChunkS)} s`).join(' | ')} | measured run |`);
    out.push(`|---|${'---|'.repeat(chunks + 1)}`);
    for (const t of warmed) {
      const cols = Array.from({ length: chunks }, (_, i) => fmt(s(t.id, (c) => c.warmup[i] ?? null)?.median ?? NaN, 0));
      out.push(`| ${t.label} | ${cols.join(' | ')} | ${fmt(s(t.id, (c) => c.keepAlive.proxyCpuUsPerReq)?.median ?? NaN, 0)} |`);
    }
  }

  out.push('', '### Latency at a fixed rate', '');
  out.push(
    `Open loop: latency from each request's due time. "Backlog" is how long after the last send the last answer came: more than a few ms means the path could not keep up with ${rates.rate} req/s and the percentiles measure a growing queue.`,
    '',
    `Cold pool: the run starts with no connection open, so its first requests each open one (the client's pool grows to what the rate needs; "new conns" counts them), and a path whose new connections are expensive shows that in its tail. Warm pool: the same run after a 1 s unmeasured lead-in at the same rate on the same pool: the steady state.`,
    '',
  );
  out.push(`| topology | ${rates.rate}/s cold pool: p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | backlog s | new conns | warm pool: p50 µs | p99 µs | p99.9 µs | new conns | ${rates.light}/s p50 µs | ${rates.light}/s p99 µs | hey at ${rates.rate}/s p50 / p99 µs |`);
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const t of ran) {
    const hey50 = s(t.id, (c) => c.hey?.p50 ?? null);
    const hey99 = s(t.id, (c) => c.hey?.p99 ?? null);
    const backlog = s(t.id, (c) => (c.latency ? Math.max(0, c.latency.elapsedS - info.rateDurationS) : null));
    out.push(
      `| ${t.label} | ${cell(s(t.id, (c) => c.latency?.p50 ?? null))} | ${cell(s(t.id, (c) => c.latency?.p90 ?? null))} | ${cell(s(t.id, (c) => c.latency?.p99 ?? null))} | ${cell(s(t.id, (c) => c.latency?.p999 ?? null))} | ${cell(s(t.id, (c) => c.latency?.max ?? null))} | ${cell(backlog, 2)} | ${cell(s(t.id, (c) => c.latency?.newConnections ?? null))} | ${cell(s(t.id, (c) => c.latencyWarm?.p50 ?? null))} | ${cell(s(t.id, (c) => c.latencyWarm?.p99 ?? null))} | ${cell(s(t.id, (c) => c.latencyWarm?.p999 ?? null))} | ${cell(s(t.id, (c) => c.latencyWarm?.newConnections ?? null))} | ${cell(s(t.id, (c) => c.light.p50))} | ${cell(s(t.id, (c) => c.light.p99))} | ${hey50 && hey99 ? `${fmt(hey50.median)} / ${fmt(hey99.median)}` : '—'} |`,
    );
  }
  out.push('', '### Bulk transfer, memory, start-up', '');
  out.push(`| topology | bulk MB/s, one connection | RSS idle MiB (per proxy) | RSS at ${rates.rate}/s MiB (per proxy, peak over the first 3 s after start) | RSS at ${rates.rate}/s MiB (per proxy, peak of the warm-pool run, after the wrk runs) | RSS loaded MiB (per proxy, peak during wrk -c50) | start-up: \`startup_ms\` | start-up: spawn → ready ms |`);
  out.push('|---|---|---|---|---|---|---|---|');
  for (const t of ran) {
    const perProxy = (pick: (c: CellResult) => number[]) => {
      const n = of(t.id)[0] ? pick(of(t.id)[0] as CellResult).length : 0;
      if (n === 0) return '—';
      const names = of(t.id)[0]?.startups.map((x) => x.proxy) ?? [];
      return Array.from({ length: n }, (_, i) => `${names[i] ?? i}: ${cell(s(t.id, (c) => (pick(c)[i] ?? NaN) / 1024), 1)}`).join('<br>');
    };
    const starts = (pick: (x: Startup) => number | null) => {
      const names = of(t.id)[0]?.startups.map((x) => x.proxy) ?? [];
      if (names.length === 0) return '—';
      return names.map((name, i) => `${name}: ${cell(s(t.id, (c) => (c.startups[i] ? pick(c.startups[i] as Startup) : null)))}`).join('<br>');
    };
    const cut = of(t.id).some((c) => c.bulk && !c.bulk.complete) ? ' (cut at the time limit)' : '';
    out.push(`| ${t.label} | ${cell(s(t.id, (c) => c.bulk?.mbps ?? null))}${cut} | ${perProxy((c) => c.idleRssKiB)} | ${perProxy((c) => c.rssAtRateFreshKiB ?? [])} | ${perProxy((c) => c.latencyWarm?.rssPeakKiB ?? [])} | ${perProxy((c) => c.keepAlive.loadedRssKiB)} | ${starts((x) => x.selfMs)} | ${starts((x) => x.wallMs)} |`);
  }

  out.push('', '### Ratios (of medians)', '');
  out.push(`| topology | req/s ÷ direct | req/s ÷ nginx | CPU/req ÷ nginx | new-conn req/s ÷ nginx | p50 at ${rates.light}/s ÷ direct | p50 at ${rates.light}/s ÷ nginx | p99 at ${rates.rate}/s ÷ direct | p99 at ${rates.rate}/s ÷ nginx | p99 at ${rates.rate}/s, warm pool, ÷ nginx | bulk ÷ direct | bulk ÷ nginx |`);
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const t of ran.filter((t) => t.family !== 'direct')) {
    const peer = t.nginxPeer && of(t.nginxPeer).length ? t.nginxPeer : undefined;
    const m = (id: string | undefined, pick: (c: CellResult) => number | null) => med(id, pick);
    const rps = (c: CellResult) => c.keepAlive.rps;
    const p99 = (c: CellResult) => c.latency?.p99 ?? null;
    const p99warm = (c: CellResult) => c.latencyWarm?.p99 ?? null;
    const light50 = (c: CellResult) => c.light.p50;
    const bulk = (c: CellResult) => c.bulk?.mbps ?? null;
    out.push(
      `| ${t.label} | ${ratio(m(t.id, rps), m('direct', rps))} | ${ratio(m(t.id, rps), m(peer, rps))} | ${ratio(m(t.id, (c) => c.keepAlive.proxyCpuUsPerReq), m(peer, (c) => c.keepAlive.proxyCpuUsPerReq))} | ${ratio(m(t.id, (c) => c.close.rps), m(peer, (c) => c.close.rps))} | ${ratio(m(t.id, light50), m('direct', light50))} | ${ratio(m(t.id, light50), m(peer, light50))} | ${ratio(m(t.id, p99), m('direct', p99))} | ${ratio(m(t.id, p99), m(peer, p99))} | ${ratio(m(t.id, p99warm), m(peer, p99warm))} | ${ratio(m(t.id, bulk), m('direct', bulk))} | ${ratio(m(t.id, bulk), m(peer, bulk))} |`,
    );
  }

  // Medians of one topology for the tables below (NaN when it did not run).
  const cpuOf = (id: string) => med(id, (c) => c.keepAlive.proxyCpuUsPerReq) ?? NaN;
  const rpsOf = (id: string) => med(id, (c) => c.keepAlive.rps) ?? NaN;
  const sysMed = (id: string) => med(id, sysOf) ?? NaN;
  const split = (id: string) => `${fmt(cpuOf(id) - sysMed(id), 1)} | ${fmt(sysMed(id), 1)}`;
  const hop = ['base-node', 'base-undici', 'or-inbound'].filter((id) => of(id).length);
  if (hop.length === 3) {
    const inbound = ab.find((r) => r.kind === 'access-log' && r.label.startsWith('one inbound'));
    const logCost = inbound ? stat(inbound.on.map((x, i) => x.cpuUs - (inbound.off[i]?.cpuUs ?? NaN)))?.median : undefined;
    out.push('', '### One plaintext HTTP hop: what Node, undici and Outrigger each cost', '');
    out.push('| one hop, keep-alive, medians | proxy CPU µs/req | user | kernel | added by this layer | req/s |', '|---|---|---|---|---|---|');
    out.push(`| bare Node proxy (http.request + pipe) | ${fmt(cpuOf('base-node'), 1)} | ${split('base-node')} | | ${fmt(rpsOf('base-node'))} |`);
    out.push(`| node's server + undici's pool, nothing else | ${fmt(cpuOf('base-undici'), 1)} | ${split('base-undici')} | ${fmt(cpuOf('base-undici') - cpuOf('base-node'), 1)} (undici instead of http.request) | ${fmt(rpsOf('base-undici'))} |`);
    out.push(
      `| Outrigger inbound (its own HTTP/1 server and upstream pool, both on node's llhttp), access log to file | ${fmt(cpuOf('or-inbound'), 1)} | ${split('or-inbound')} | ${fmt(cpuOf('or-inbound') - cpuOf('base-undici'), 1)} (node's server and undici replaced by Outrigger's own; plus stages, records, metrics, headers, access log${logCost !== undefined ? `; the log alone ${fmt(logCost, 1)} by the A/B below` : ''}) | ${fmt(rpsOf('or-inbound'))} |`,
    );
    if (of('nginx-hop').length) out.push(`| nginx, the same hop, access log to file | ${fmt(cpuOf('nginx-hop'), 1)} | ${split('nginx-hop')} | | ${fmt(rpsOf('nginx-hop'))} |`);
  }

  // Each Outrigger pair beside the bare Node pair doing the same job and nginx's.
  const pairTable = (title: string, ids: string[]) => {
    if (ids.filter((id) => of(id).length).length < 2) return;
    const bulk = (id: string) => med(id, (c) => c.bulk?.mbps ?? null) ?? NaN;
    const close = (id: string) => med(id, (c) => c.close.rps) ?? NaN;
    out.push('', title, '');
    out.push('| pair, keep-alive, medians | proxy CPU µs/req (both) | user | kernel | req/s | req/s, new connection per request | bulk MB/s |', '|---|---|---|---|---|---|---|');
    for (const id of ids.filter((x) => of(x).length)) {
      const t = ran.find((x) => x.id === id);
      out.push(`| ${t?.label ?? id} | ${fmt(cpuOf(id), 1)} | ${split(id)} | ${fmt(rpsOf(id))} | ${fmt(close(id))} | ${fmt(bulk(id))} |`);
    }
  };
  pairTable('### The HTTP pair: what Node costs and what Outrigger adds', ['base-http-pair', 'or-http', 'nginx-http']);
  pairTable('### The opaque (L4) pair: what Node costs and what Outrigger adds', ['base-pipe', 'or-tcp', 'nginx-stream']);

  const forms = ab.filter((r) => r.kind === 'form');
  const versions = ab.filter((r) => r.kind === 'version');
  const flagged = ab.filter((r) => r.kind === 'flags');
  ab = ab.filter((r) => r.kind === 'access-log');
  const abRows = (r: AbResult) => {
    const pairs = r.on.map((x, i) => [x, r.off[i]] as const).filter((p): p is readonly [{ cpuUs: number; rps: number }, { cpuUs: number; rps: number }] => p[1] !== undefined);
    return {
      a: cell(stat(r.on.map((x) => x.cpuUs)), 1),
      b: cell(stat(r.off.map((x) => x.cpuUs)), 1),
      extra: cell(stat(pairs.map(([a, b]) => 100 * (a.cpuUs / b.cpuUs - 1))), 1),
      lost: cell(stat(pairs.map(([a, b]) => 100 * (1 - a.rps / b.rps))), 1),
      rss: (side: AbResult['on']) => (side.every((x) => x.rssKiB) ? cell(stat(side.map((x) => (x.rssKiB ?? 0) / 1024)), 0) : '—'),
    };
  };
  /** A side-by-side A/B table: heading, what A and B are, the column names of A and B. */
  const abTable = (rs: AbResult[], heading: string, what: string, a: string, b: string, note: string) => {
    if (!rs.length) return;
    out.push('', heading, '');
    out.push(
      `A/B as below: ${what}, side by side, ${rs[0]?.rounds ?? 0} alternating rounds of \`wrk -c50 -d${rs[0]?.durationS ?? 0}s\`.${note}`,
      '',
      `| path | proxy CPU µs/req, ${a} | ${b} | extra CPU of ${a === 'A' ? 'A' : `the ${a}`}, % | throughput lost with ${a === 'A' ? 'A' : `the ${a}`}, % | peak RSS MiB (largest sidecar), ${a} | ${b} |`,
      '|---|---|---|---|---|---|---|',
    );
    for (const r of rs) {
      const x = abRows(r);
      out.push(`| ${r.label} | ${x.a} | ${x.b} | ${x.extra} | ${x.lost} | ${x.rss(r.on)} | ${x.rss(r.off)} |`);
    }
  };
  abTable(
    forms,
    '### Bundle or sources: the same sidecar started two ways',
    'the sidecar from its bundle (`tools/build.ts`, what the image runs) and from its TypeScript sources (type stripping)',
    'bundle',
    'sources',
    ' Start-up and memory of the two forms are in the tables above (bundle) and in the hand-written notes below (sources).',
  );
  abTable(versions, '### This version against another (`--vs-ref`)', 'the proxy measured here (A) and the proxy as committed at another ref (B), both from their bundles', 'A', 'B', ' A negative extra CPU is what A saves.');
  abTable(flagged, '### The same proxy with other node flags (`--vs-flags`)', 'the sidecars as measured here (A) and the same bundle started with extra node flags (B)', 'A', 'B', ' A negative extra CPU is what A saves.');

  if (ab.length || (of('or-http').length && of('or-http-nolog').length)) {
    out.push('', '### Access-log overhead (issue 6: "access logging on costs less than 10% throughput")', '');
  }
  if (ab.length) {
    out.push(
      `A/B: the path with the access log to a file and the same path with it off run side by side, and ${ab[0]?.rounds ?? 0} alternating rounds of \`wrk -c50 -d${ab[0]?.durationS ?? 0}s\` load one, then the other; each round gives one on/off ratio. Rows marked A/A run the logging path against a second instance of itself (\`--ab-self-check\`): what they show is the noise of the method at that time, not a cost.`,
      '',
    );
    out.push('| path | proxy CPU µs/req, log on | log off | extra CPU with the log, % | throughput lost with the log, % |', '|---|---|---|---|---|');
    for (const r of ab) {
      const x = abRows(r);
      out.push(`| ${r.label} | ${x.a} | ${x.b} | ${x.extra} | **${x.lost}** |`);
    }
  }
  if (of('or-http').length && of('or-http-nolog').length) {
    const reps = [...new Set(of('or-http').map((c) => c.rep))];
    const pairs = reps
      .map((rep) => [of('or-http').find((c) => c.rep === rep), of('or-http-nolog').find((c) => c.rep === rep)] as const)
      .filter((p): p is readonly [CellResult, CellResult] => p[0] !== undefined && p[1] !== undefined);
    const lost = stat(pairs.map(([on, off]) => 100 * (1 - on.keepAlive.rps / off.keepAlive.rps)));
    const bytes = stat(of('or-http').map((c) => (c.accessLog.lines ? c.accessLog.bytes / c.accessLog.lines : NaN)));
    out.push(
      '',
      `From the main table instead (\`or-http\` vs \`or-http-nolog\`, cells minutes apart in each repetition): ${cell(lost, 1)} % throughput lost; a negative number is the noise between cells. Access-log lines average ${cell(bytes)} bytes.`,
    );
  }

  if (profile) {
    out.push('', '### Where the CPU goes (node --cpu-prof)', '');
    out.push(`${profile.command}.`, '');
    out.push(
      'The profiler samples wall time; with the sidecar alone on its CPU, its non-idle samples match the CPU time /proc reports, so a share of samples can be read as CPU per request. Time in native code (OpenSSL, syscalls) is charged to the JS frame that called it.',
      '',
    );
    for (const { name, summary, cpuMs, requests, rps } of profile.sidecars) {
      const perReq = (ms: number) => fmt((ms * 1000) / Math.max(1, requests), 1);
      out.push(`#### ${name}: ${fmt(summary.busyMs)} ms of non-idle samples, ${fmt(cpuMs)} ms CPU time (/proc), ${fmt(requests)} requests (${fmt(rps)} req/s under the profiler)`, '');
      out.push('| area (self time) | ms | % of busy | µs per request |', '|---|---|---|---|');
      for (const a of summary.byArea) out.push(`| ${a.area} | ${fmt(a.ms)} | ${fmt(a.pct, 1)} | ${perReq(a.ms)} |`);
      out.push('', '| top frames by self time | ms | % of busy | µs per request |', '|---|---|---|---|');
      for (const f of summary.topSelf) out.push(`| \`${f.frame}\` | ${fmt(f.ms)} | ${fmt(f.pct, 1)} | ${perReq(f.ms)} |`);
      out.push('', '| Outrigger frames by inclusive time | ms | % of busy | µs per request |', '|---|---|---|---|');
      for (const f of summary.outriggerInclusive) out.push(`| \`${f.frame}\` | ${fmt(f.ms)} | ${fmt(f.pct, 1)} | ${perReq(f.ms)} |`);
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}
