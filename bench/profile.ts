// Summarises a V8 .cpuprofile (node --cpu-prof): the top frames by self time, self time grouped
// by where the code lives (node's http/tls/net, undici, http-proxy-3, pino, prom-client, Outrigger, GC),
// and the Outrigger functions by inclusive time. Time in native code (OpenSSL, syscalls) is
// charged to the JS frame that called it, so "node tls" includes the encryption itself.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Share of samples not idle. */
  busyMs: number;
  topSelf: Array<{ frame: string; ms: number; pct: number }>;
  byArea: Array<{ area: string; ms: number; pct: number }>;
  outriggerInclusive: Array<{ frame: string; ms: number; pct: number }>;
}

export function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const repo = /\/(apps|libs|bench)\//.exec(url);
  if (repo) return url.slice(repo.index + 1);
  return url.replace(/^file:\/\//, '');
}

export function areaOf(frame: CallFrame): string {
  const { functionName: fn, url } = frame;
  if (fn === '(idle)') return '(idle)';
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return '(program: native, not attributed)';
  // Self time in these is the write or connect syscall (on loopback the sender also runs the
  // receiver's TCP input) and, as the profiler samples wall time, any time another thread or
  // process runnable on the same CPU ran before this thread resumed.
  if ((url === '' && /^write(v|Buffer|Latin1String|Utf8String|AsciiString|Ucs2String)$/.test(fn)) || (url === 'node:net' && fn === 'internalConnect')) return 'write / connect syscalls';
  // fs.write of a string: pino's SonicBoom handing access-log lines to the file.
  if (url === '' && fn === 'writeString') return 'file writes (access log)';
  if (url.includes('node_modules/http-proxy-3')) return 'http-proxy-3';
  if (url.includes('node_modules/undici') || url.startsWith('wasm://')) return 'undici (incl. llhttp wasm)';
  if (url.includes('node_modules/pino') || url.includes('node_modules/sonic-boom') || url.includes('node_modules/thread-stream')) return 'pino / sonic-boom';
  if (url.includes('node_modules/prom-client') || url.includes('node_modules/tdigest') || url.includes('node_modules/bintrees')) return 'prom-client';
  if (/\/(apps|libs)\//.test(url)) return 'Outrigger code';
  if (/^node:(_tls|internal\/tls|tls|https)/.test(url) || url.startsWith('node:internal/crypto')) return 'node tls (incl. OpenSSL)';
  if (/^node:(_http|http|internal\/http)/.test(url)) return 'node http';
  if (/^node:(net|internal\/stream_base_commons|internal\/streams|stream|internal\/net)/.test(url)) return 'node net / streams';
  if (/^node:(internal\/(timers|process\/task_queues)|timers)/.test(url)) return 'node timers / microtasks';
  if (url.startsWith('node:')) return 'node other';
  if (url === '') return 'V8 builtins / native';
  return 'other';
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; charge it to sample i (V8's own convention).
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = profile.endTime - profile.startTime;
  const label = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : ''}`.trim();

  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const area = areaOf(node.callFrame);
    if (area === '(idle)') idleUs += us;
    self.set(label(node.callFrame), (self.get(label(node.callFrame)) ?? 0) + us);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;

  // Inclusive time of Outrigger frames: each sample counted once per distinct frame on its stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (!node || !/\/(apps|libs)\//.test(node.callFrame.url)) continue;
      const key = label(node.callFrame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const rank = (m: Map<string, number>, n: number, skip: (k: string) => boolean = () => false) =>
    [...m.entries()]
      .filter(([k]) => !skip(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => ({ key: k, ms: us / 1000, pct: busyUs > 0 ? (100 * us) / busyUs : 0 }));
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    topSelf: rank(self, top, (k) => k.startsWith('(idle)')).map(({ key, ms, pct }) => ({ frame: key, ms, pct })),
    byArea: rank(areas, 20, (k) => k === '(idle)').map(({ key, ms, pct }) => ({ area: key, ms, pct })),
    outriggerInclusive: rank(inclusive, 10).map(({ key, ms, pct }) => ({ frame: key, ms, pct })),
  };
}
