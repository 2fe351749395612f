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
  /** 'access-log': A logs, B does not (or A/A). 'form': A runs the bundle, B the sources. */
  kind: 'access-log' | 'form';
  label: string;
  rounds: number;
  durationS: number;
  /** Per round: proxy CPU µs per request and req/s, log on and off. */
  on: Array<{ cpuUs: number; rps: number }>;
  off: Array<{ cpuUs: number; rps: number }>;
}

export async function runAccessLogAb(ctx: CellContext, label: string, on: Topology, off: Topology, rounds: number, durationS: number, kind: AbResult['kind'] = 'access-log'): Promise<AbResult> {
  const { env, plan } = ctx;
  const dir = join(ctx.runDir, `ab-${on.id}-${off.id}`);
  const started: Proc[] = [];
  const result: AbResult = { kind, label, rounds, durationS, on: [], off: [] };
  try {
    const paths: Array<[RunningTopology, AbResult['on']]> = [];
    for (const [side, t, sink] of [['a', on, result.on], ['b', off, result.off]] as const) {
      const tdir = join(dir, `${side}-${t.id}`); // an A/A self-check starts one topology twice
      mkdirSync(tdir, { recursive: true });
      const running = await t.start(env, { dir: tdir });
      started.push(...running.proxies);
      paths.push([running, sink]);
    }
    const load = (r: RunningTopology, durationS: number) =>
      measureLoad(env.procs, { proxy: env.proxyCpu, load: plan.loadCpu }, { url: r.url, connections: plan.connections, durationS, closeEachRequest: false }, r.proxies, ctx.appPid);
    for (const [r] of paths) await load(r, plan.nodeWarmupS);
    for (let i = 0; i < rounds; i++) {
      // Alternate which goes first, so neither always follows the other.
      const order = i % 2 === 0 ? paths : [...paths].reverse();
      for (const [r, sink] of order) {
        const m = await load(r, durationS);
        sink.push({ cpuUs: m.proxyCpuUsPerReq ?? NaN, rps: m.rps });
      }
    }
    return result;
  } finally {
    for (const p of started) await env.procs.stop(p, 5000);
    rmSync(dir, { recursive: true, force: true });
  }
}
