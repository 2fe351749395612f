// The access log's cost, measured A/B: the same path with the log on and off runs side by side
// (both started, both pinned to the proxy CPU, only one loaded at a time), and short wrk runs
// alternate between them. Slow drift of the machine (other tenants, frequency) then hits both
// alike, which a comparison of cells minutes apart cannot promise for an effect of a few percent.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CellContext } from './cell.ts';
import { measureLoad } from './measure.ts';
import type { Proc } from './procs.ts';
import type { RunningTopology, Topology } from './topologies.ts';

export interface AbResult {
  /** 'access-log': A logs, B does not (or A/A). 'form': A runs the bundle, B the sources. 'version': A the proxy measured, B the one of `--vs-ref`. 'flags': B adds `--vs-flags`. */
  kind: 'access-log' | 'form' | 'version' | 'flags';
  label: string;
  rounds: number;
  durationS: number;
  /** Per round: proxy CPU µs per request, req/s and the largest sidecar's peak RSS (KiB), log on and off. */
  on: Array<{ cpuUs: number; rps: number; rssKiB?: number }>;
  off: Array<{ cpuUs: number; rps: number; rssKiB?: number }>;
}

export async function runAccessLogAb(ctx: CellContext, label: string, on: Topology, off: Topology, rounds: number, durationS: number, kind: AbResult['kind'] = 'access-log', closeEachRequest = false): Promise<AbResult> {
  const { env, plan } = ctx;
  const dir = join(ctx.runDir, `ab-${on.id}-${off.id}`);
  const started: Proc[] = [];
  const result: AbResult = { kind, label, rounds, durationS, on: [], off: [] };
  try {
    // Two instances of each side, started A1 B1 B2 A2: rounds alternate between the A1/B1 and the
    // A2/B2 couple, so an effect of start order (an A/A run showed the first-started HTTP pair
    // about 7 % slower, every time) falls on both sides alike instead of on A.
    const starts = [['a1', on, result.on], ['b1', off, result.off], ['b2', off, result.off], ['a2', on, result.on]] as const;
    const running = new Map<string, [RunningTopology, AbResult['on']]>();
    for (const [name, t, sink] of starts) {
      const tdir = join(dir, `${name}-${t.id}`); // an A/A self-check starts one topology four times
      mkdirSync(tdir, { recursive: true });
      const r = await t.start(env, { dir: tdir });
      started.push(...r.proxies);
      running.set(name, [r, sink]);
    }
    const load = (r: RunningTopology, durationS: number) =>
      measureLoad(env.procs, { proxy: env.proxyCpu, load: plan.loadCpu }, { url: r.url, connections: plan.connections, durationS, closeEachRequest }, r.proxies, ctx.appPid);
    for (const [r] of running.values()) await load(r, plan.nodeWarmupS);
    const couples = [[running.get('a1')!, running.get('b1')!], [running.get('a2')!, running.get('b2')!]];
    for (let i = 0; i < rounds; i++) {
      const couple = couples[i % 2]!;
      // Alternate which goes first too (over the 4-round cycle), so neither always follows the other.
      const order = Math.floor(i / 2) % 2 === 0 ? couple : [...couple].reverse();
      for (const [r, sink] of order) {
        const m = await load(r, durationS);
        sink.push({ cpuUs: m.proxyCpuUsPerReq ?? NaN, rps: m.rps, rssKiB: Math.max(0, ...m.loadedRssKiB) });
      }
    }
    return result;
  } finally {
    for (const p of started) await env.procs.stop(p, 5000);
    rmSync(dir, { recursive: true, force: true });
  }
}
