// One cell: one topology, one repetition, started fresh and measured in a fixed order (idle RSS,
// warm-up, keep-alive max, new connection per request, latency at the fixed rate and at a light
// one, hey, bulk), then stopped by PID and its folder removed. And the profile run: the HTTP pair under node --cpu-prof.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { measureBulk, measureHey, measureLatency, measureLoad } from './measure.ts';
import { cpuMicros, cpuTimes, rssKiB, selfAndReapedChildrenMicros, sleep, waitFor, type Proc } from './procs.ts';
import { summariseProfile, type ProfileSummary } from './profile.ts';
import type { CellResult } from './report.ts';
import type { BenchEnv, RunningTopology, Topology } from './topologies.ts';

export interface Plan {
  loadCpu: number;
  connections: number;
  /** Warm-up before measuring: nginx and the app need little; V8 needs tens of thousands of requests. */
  warmupS: number;
  /** Warm-up of Node proxies (Outrigger, the references), in chunks of warmupChunkS, each measured. */
  nodeWarmupS: number;
  warmupChunkS: number;
  durationS: number;
  closeDurationS: number;
  rate: number;
  rateDurationS: number;
  /** A rate every path sustains, for the latency of the hops themselves rather than of queueing. */
  lightRate: number;
  lightDurationS: number;
  heyDurationS: number;
  bulkBytes: number;
  bulkMaxS: number;
  rateClient: string;
}

/** Unmeasured lead-in of the warm-pool latency run, seconds. */
export const WARM_POOL_S = 1;
/** Seconds at the fixed rate right after start, for the RSS a sidecar needs at that rate (before any wrk run). */
export const FRESH_RATE_S = 3;

export const isNode = (t: Topology) => t.family === 'outrigger' || t.family === 'baseline';

export interface CellContext {
  env: BenchEnv;
  plan: Plan;
  appPid: number;
  runDir: string;
  log: (s: string) => void;
}

function alive(running: RunningTopology, phase: string): void {
  const dead = running.proxies.find((p) => p.hasExited());
  if (dead) throw new Error(`${dead.name} exited during ${phase}`);
}

async function stopProxies(ctx: CellContext, proxies: Proc[]): Promise<void> {
  // The outbound side first: its pooled mesh connections would hold the inbound side's drain.
  for (const p of proxies) await ctx.env.procs.stop(p, 5000);
}

function accessLogSize(files: string[]): { bytes: number; lines: number } {
  let bytes = 0;
  let lines = 0;
  for (const file of files) {
    const dir = join(file, '..');
    const base = file.slice(dir.length + 1);
    // Rolled files (access.log.1, ...) count too.
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      if (name !== base && !name.startsWith(`${base}.`)) continue;
      const path = join(dir, name);
      bytes += statSync(path).size;
      const text = readFileSync(path);
      for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) lines++;
    }
  }
  return { bytes, lines };
}

export async function runCell(ctx: CellContext, topology: Topology, rep: number, withHey: boolean): Promise<CellResult> {
  const { env, plan, log } = ctx;
  const dir = join(ctx.runDir, `rep${rep}-${topology.id}`);
  mkdirSync(dir, { recursive: true });
  let running: RunningTopology | null = null;
  try {
    running = await topology.start(env, { dir });
    const r = running;
    await sleep(500);
    const idleRssKiB = r.proxies.map((p) => rssKiB(p.pid));
    // Memory at the fixed rate before any wrk run has grown the heap: what a sidecar at that rate
    // needs (the later runs' peaks are the process's high-water mark). Its latencies are not
    // reported: the code is not compiled yet.
    const reference = topology.family === 'baseline';
    const fresh = reference ? null : await measureLatency(env.procs, plan.loadCpu, env.node, plan.rateClient, r.url, plan.rate, FRESH_RATE_S, 0, r.proxies);
    const rssAtRateFreshKiB = fresh?.rssPeakKiB ?? [];
    // What else ran on the proxy CPU during the whole cell: everything there but our proxies and app.
    const ours = () => r.proxies.reduce((sum, p) => sum + cpuMicros(p.pid), cpuMicros(ctx.appPid));
    const cpuBefore = cpuTimes(env.proxyCpu);
    const oursBefore = ours();
    // And on the load CPU: everything there but the harness and its load generators.
    const loadBefore = cpuTimes(plan.loadCpu);
    const loadGenBefore = selfAndReapedChildrenMicros();
    const load = (closeEachRequest: boolean, durationS: number) =>
      measureLoad(env.procs, { proxy: env.proxyCpu, load: plan.loadCpu }, { url: r.url, connections: plan.connections, durationS, closeEachRequest }, r.proxies, ctx.appPid);
    // Node proxies warm up in chunks whose CPU per request is kept: the curve shows V8's tiering.
    const warmup: number[] = [];
    if (isNode(topology)) {
      for (let t = 0; t < plan.nodeWarmupS; t += plan.warmupChunkS) warmup.push((await load(false, plan.warmupChunkS)).proxyCpuUsPerReq ?? NaN);
    } else await load(false, plan.warmupS);
    alive(r, 'warm-up');
    const keepAlive = await load(false, plan.durationS);
    alive(r, 'keep-alive load');
    await sleep(300);
    const close = await load(true, plan.closeDurationS);
    alive(r, 'new-connection load');
    await sleep(300);
    // The reference proxies only locate costs: the 1000/s runs and hey would add time, not insight
    // (bulk they run: it tells how fast Node itself moves one connection's bytes).
    const latency = reference ? null : await measureLatency(env.procs, plan.loadCpu, env.node, plan.rateClient, r.url, plan.rate, plan.rateDurationS);
    alive(r, 'fixed-rate latency');
    await sleep(300);
    // The same rate on a warm pool: a 1 s unmeasured lead-in opens the connections the rate needs.
    const latencyWarm = reference ? null : await measureLatency(env.procs, plan.loadCpu, env.node, plan.rateClient, r.url, plan.rate, plan.rateDurationS, WARM_POOL_S, r.proxies);
    alive(r, 'fixed-rate latency, warm pool');
    await sleep(300);
    const light = await measureLatency(env.procs, plan.loadCpu, env.node, plan.rateClient, r.url, plan.lightRate, plan.lightDurationS);
    alive(r, 'light-rate latency');
    const hey = withHey && !reference ? await measureHey(env.procs, plan.loadCpu, r.url, plan.rate, plan.heyDurationS) : null;
    const bulk = await measureBulk(env.procs, plan.loadCpu, r.url, plan.bulkBytes, plan.bulkMaxS);
    alive(r, 'bulk transfer');
    const cpuAfter = cpuTimes(env.proxyCpu);
    const foreignPct = Math.max(0, (100 * (cpuAfter.task - cpuBefore.task - (ours() - oursBefore))) / Math.max(1, cpuAfter.total - cpuBefore.total));
    const loadAfter = cpuTimes(plan.loadCpu);
    const loadForeignPct = Math.max(0, (100 * (loadAfter.task - loadBefore.task - (selfAndReapedChildrenMicros() - loadGenBefore))) / Math.max(1, loadAfter.total - loadBefore.total));
    log(
      `  ${topology.id.padEnd(14)} rep ${rep + 1}: ${Math.round(keepAlive.rps)} req/s` +
        (keepAlive.proxyCpuUsPerReq !== null ? ` (${keepAlive.proxyCpuUsPerReq.toFixed(1)} µs proxy CPU/req)` : '') +
        `, new conn ${Math.round(close.rps)} req/s` +
        (latency ? `, at ${plan.rate}/s p50/p99/p99.9 ${latency.p50}/${latency.p99}/${latency.p999} µs (${latency.newConnections} new conns)` : '') +
        (latencyWarm ? `, warm pool ${latencyWarm.p50}/${latencyWarm.p99}/${latencyWarm.p999} µs` : '') +
        `, at ${plan.lightRate}/s p50/p99 ${light.p50}/${light.p99} µs` +
        (bulk ? `, bulk ${bulk.mbps.toFixed(0)} MB/s${bulk.complete ? '' : ` (${(bulk.bytes / 2 ** 20).toFixed(0)} MiB in ${plan.bulkMaxS} s)`}` : '') +
        `, CPU${env.proxyCpu} ${keepAlive.proxyCpuBusyPct.toFixed(0)}% busy under wrk, CPU${plan.loadCpu} ${keepAlive.loadCpuBusyPct.toFixed(0)}%; foreign: CPU${env.proxyCpu} ${foreignPct.toFixed(0)}%, CPU${plan.loadCpu} ${loadForeignPct.toFixed(0)}% of the cell` +
        (keepAlive.errors + close.errors + (latency?.errors ?? 0) ? `, errors ${keepAlive.errors}/${close.errors}/${latency?.errors ?? 0}` : ''),
    );
    return { rep, topology: topology.id, startups: r.startups, idleRssKiB, rssAtRateFreshKiB, keepAlive, close, latency, latencyWarm, light, hey, bulk, accessLog: accessLogSize(r.accessLogs), foreignPct, loadForeignPct, warmup };
  } finally {
    if (running) await stopProxies(ctx, running.proxies);
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ProfileRun {
  command: string;
  sidecars: Array<{
    name: string;
    summary: ProfileSummary;
    /** The sidecar's CPU time from /proc over its whole life, to compare with the sampled busy time. */
    cpuMs: number;
    /** Requests it served in its life (warm-up and measured run), to express samples per request. */
    requests: number;
    rps: number;
  }>;
}

/**
 * Each sidecar of the pair in turn under `node --cpu-prof`, alone on the proxy CPU: the app (its
 * own instance), the other sidecar and wrk go to the load CPU, so that the profiler, which samples
 * wall time, sees this sidecar's own work and not the time a peer it woke ran on the same CPU.
 */
export async function runProfile(ctx: CellContext, topology: Topology, sidecarNames: string[], closeEachRequest = false): Promise<ProfileRun> {
  const { env, plan } = ctx;
  const dir = join(ctx.runDir, 'profile');
  mkdirSync(dir, { recursive: true });
  const app = env.procs.startPinned('profile-app', plan.loadCpu, env.node, [join(import.meta.dirname, 'app.ts')], join(dir, 'app.out'));
  const sidecars: ProfileRun['sidecars'] = [];
  try {
    const appPort = await waitFor('the profile app', () => /"port":(\d+)/.exec(readFileSync(app.logFile, 'utf8'))?.[1], 10_000, app).then(Number);
    for (const target of sidecarNames) {
      const profDir = join(dir, `cpuprofile-${target}`);
      mkdirSync(profDir, { recursive: true });
      const cell = { dir, cpuOf: (n: string) => (n === target ? env.proxyCpu : plan.loadCpu), nodeFlags: (n: string) => (n === target ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), fromSource: true };
      const r = await topology.start({ ...env, appPort }, cell);
      try {
        const proc = r.proxies.find((p) => p.name === target);
        if (!proc) throw new Error(`${topology.id} has no sidecar ${target}`);
        const load = (durationS: number) => measureLoad(env.procs, { proxy: env.proxyCpu, load: plan.loadCpu }, { url: r.url, connections: plan.connections, durationS, closeEachRequest }, [proc], app.pid);
        const warm = await load(plan.nodeWarmupS);
        const measured = await load(plan.durationS);
        const cpuMs = cpuMicros(proc.pid) / 1000;
        await stopProxies(ctx, r.proxies);
        const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
        if (!file) throw new Error(`${target}: no .cpuprofile was written (did it exit cleanly?)`);
        sidecars.push({ name: target, summary: summariseProfile(join(profDir, file)), cpuMs, requests: warm.requests + measured.requests, rps: measured.rps });
      } finally {
        await stopProxies(ctx, r.proxies);
      }
    }
  } finally {
    await env.procs.stop(app);
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    command: `${topology.label}: each sidecar in turn under \`node --cpu-prof\`, alone on CPU ${env.proxyCpu} (its peer sidecar, an app instance and wrk on CPU ${plan.loadCpu}), wrk -t1 -c${plan.connections} -d${plan.durationS}s${closeEachRequest ? " -H 'Connection: close' (a new connection per request)" : ''} after a ${plan.nodeWarmupS} s warm-up; the profile covers the whole process life, start-up included`,
    sidecars,
  };
}
