// One measurement each: wrk at full speed (keep-alive, or a new connection per request) with the
// proxies' CPU and RSS read from /proc around it, the fixed-rate latency client, hey as a
// cross-check, and one-connection bulk transfer with curl. The load generators run on the load
// CPU; all of them are bounded in time.
import { cpuSplitMicros, cpuMicros, cpuTimes, rssKiB, type Procs, type Proc } from './procs.ts';

export interface LoadResult {
  rps: number;
  requests: number;
  /** Socket errors (connect, read, write, timeout) plus non-2xx answers. */
  errors: number;
  /** CPU time of all the proxies of the path, per request, in µs; null without proxies. */
  proxyCpuUsPerReq: number | null;
  /** The part of proxyCpuUsPerReq spent in the kernel (stime: syscalls, and the loopback packet work they do), µs. */
  proxySysUsPerReq: number | null;
  appCpuUsPerReq: number;
  /** Highest VmRSS of each proxy sampled during the run, KiB. */
  loadedRssKiB: number[];
  /** How busy the proxy CPU was (%), and how much of it went to processes not of this bench. */
  proxyCpuBusyPct: number;
  foreignPct: number;
  /** How busy the load generator's CPU was (%): near 100 means wrk, not the path, was the limit. */
  loadCpuBusyPct: number;
}

export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  closeEachRequest: boolean;
}

export async function measureLoad(procs: Procs, cpus: { proxy: number; load: number }, spec: LoadSpec, proxies: Proc[], appPid: number): Promise<LoadResult> {
  const loadCpu = cpus.load;
  const args = ['-t1', `-c${spec.connections}`, `-d${spec.durationS}s`, '--timeout', '5s'];
  if (spec.closeEachRequest) args.push('-H', 'Connection: close');
  const cpuBefore = proxies.map((p) => cpuSplitMicros(p.pid));
  const appBefore = cpuMicros(appPid);
  const proxyCpuBefore = cpuTimes(cpus.proxy);
  const loadCpuBefore = cpuTimes(cpus.load);
  const peak = proxies.map(() => 0);
  const sampler = setInterval(() => proxies.forEach((p, i) => (peak[i] = Math.max(peak[i] ?? 0, safeRss(p.pid)))), 250);
  let out;
  try {
    out = await procs.runPinned(loadCpu, 'wrk', [...args, `${spec.url}/`], (spec.durationS + 20) * 1000);
  } finally {
    clearInterval(sampler);
  }
  const cpuAfter = proxies.map((p) => cpuSplitMicros(p.pid));
  const cpu = cpuAfter.reduce((sum, a, i) => sum + a.user + a.system - (cpuBefore[i]?.user ?? 0) - (cpuBefore[i]?.system ?? 0), 0);
  const sys = cpuAfter.reduce((sum, a, i) => sum + a.system - (cpuBefore[i]?.system ?? 0), 0);
  const app = cpuMicros(appPid) - appBefore;
  const proxyCpuAfter = cpuTimes(cpus.proxy);
  const loadCpuAfter = cpuTimes(cpus.load);
  const span = proxyCpuAfter.total - proxyCpuBefore.total || 1;
  const loadSpan = loadCpuAfter.total - loadCpuBefore.total || 1;
  proxies.forEach((p, i) => (peak[i] = Math.max(peak[i] ?? 0, safeRss(p.pid))));
  const parsed = parseWrk(out.stdout);
  if (out.code !== 0 || parsed.requests === 0) throw new Error(`wrk failed (exit ${out.code}${out.timedOut ? ', timed out' : ''}): ${out.stderr || out.stdout}`);
  return {
    ...parsed,
    proxyCpuUsPerReq: proxies.length ? cpu / parsed.requests : null,
    proxySysUsPerReq: proxies.length ? sys / parsed.requests : null,
    appCpuUsPerReq: app / parsed.requests,
    loadedRssKiB: peak,
    proxyCpuBusyPct: (100 * (proxyCpuAfter.task + proxyCpuAfter.kernel - proxyCpuBefore.task - proxyCpuBefore.kernel)) / span,
    // Tick accounting makes this a few % noisy; tens of % mean another workload shared the CPU.
    foreignPct: Math.max(0, (100 * (proxyCpuAfter.task - proxyCpuBefore.task - cpu - app)) / span),
    loadCpuBusyPct: (100 * (loadCpuAfter.task + loadCpuAfter.kernel - loadCpuBefore.task - loadCpuBefore.kernel)) / loadSpan,
  };
}

function safeRss(pid: number): number {
  try {
    return rssKiB(pid);
  } catch {
    return 0;
  }
}

export function parseWrk(text: string): { rps: number; requests: number; errors: number } {
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = sock ? sock.slice(1).reduce((s, n) => s + Number(n), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  return { rps, requests, errors: socketErrors + non2xx };
}

export interface LatencyResult {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  achievedRate: number;
  errors: number;
  maxSendLagUs: number;
  /** Seconds from the first send to the last answer: well past the duration means a backlog built up (saturation). */
  elapsedS: number;
  /** Connections the client opened in the measured window. */
  newConnections: number;
  /** Peak VmRSS of each proxy during the run (warm-up included), KiB; empty when not sampled. */
  rssPeakKiB: number[];
}

/**
 * bench/rate-client.ts at a fixed rate. `warmupS` seconds at the same rate come first, unmeasured,
 * on the same connection pool; the peak VmRSS of `proxies` is sampled through the whole run.
 */
export async function measureLatency(procs: Procs, loadCpu: number, node: string, client: string, url: string, rate: number, durationS: number, warmupS = 0, proxies: Proc[] = []): Promise<LatencyResult> {
  const peak = proxies.map(() => 0);
  const sample = () => proxies.forEach((p, i) => (peak[i] = Math.max(peak[i] ?? 0, safeRss(p.pid))));
  const sampler = setInterval(sample, 250);
  let out;
  try {
    out = await procs.runPinned(loadCpu, node, [client, '--url', `${url}/`, '--rate', String(rate), '--duration', String(durationS), '--warmup', String(warmupS)], (warmupS + durationS + 20) * 1000);
  } finally {
    clearInterval(sampler);
  }
  sample();
  if (out.code !== 0) throw new Error(`rate client failed (exit ${out.code}): ${out.stderr}`);
  const r = JSON.parse(out.stdout.trim()) as LatencyResult & { non2xx: number };
  return { ...r, errors: r.errors + r.non2xx, rssPeakKiB: peak };
}

/** hey at the same fixed rate: 10 workers x rate/10 each; its summary percentiles, in µs. */
export async function measureHey(procs: Procs, loadCpu: number, url: string, rate: number, durationS: number): Promise<{ p50: number; p99: number; rps: number }> {
  const out = await procs.runPinned(loadCpu, 'hey', ['-z', `${durationS}s`, '-c', '10', '-q', String(rate / 10), '-t', '5', `${url}/`], (durationS + 20) * 1000);
  const pct = (p: number) => Number(new RegExp(`\\b${p}% in ([\\d.]+) secs`).exec(out.stdout)?.[1] ?? NaN) * 1e6;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)?.[1] ?? NaN);
  return { p50: pct(50), p99: pct(99), rps };
}

/**
 * One connection, one large response, through the path: curl to /dev/null, for `bytes` or maxS
 * seconds, whichever comes first (curl's speed is still exact for a cut transfer). MB = 10^6 bytes.
 */
export async function measureBulk(procs: Procs, loadCpu: number, url: string, bytes: number, maxS: number): Promise<{ mbps: number; bytes: number; complete: boolean }> {
  const out = await procs.runPinned(loadCpu, 'curl', ['-sS', '-o', '/dev/null', '--max-time', String(maxS), '-w', '%{size_download} %{time_total} %{http_code}', `${url}/bulk?bytes=${bytes}`], (maxS + 10) * 1000);
  const [size, seconds, status] = out.stdout.trim().split(' ');
  const got = Number(size ?? 0);
  const s = Number(seconds ?? 0);
  // curl exits 28 when --max-time cuts the transfer; the bytes it got still measure the speed.
  if (out.code !== 0 && out.code !== 28) throw new Error(`curl failed (exit ${out.code}): ${out.stderr.trim()}`);
  return { mbps: s > 0 ? got / s / 1e6 : 0, bytes: got, complete: got === bytes && status === '200' };
}
