// Network namespaces for e2e tests: two "pods" joined by a veth pair, with addresses from the
// benchmarking ranges (198.18.0.0/15 and 2001:2::/48). Everything is removed by destroy(), which
// tests call in `after`/`finally`; deleting a namespace also deletes its veth end and rules.
import { randomBytes } from 'node:crypto';
import { run } from './process.ts';

export const isRoot = () => process.getuid?.() === 0;

async function must(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, { input, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export interface Pod {
  ns: string;
  v4: string;
  v6: string;
  /** argv prefix that runs a command inside this pod's namespace. */
  exec(cmd: string, ...args: string[]): string[];
}

export interface PodPair {
  a: Pod;
  b: Pod;
  destroy(): Promise<void>;
}

/** Two namespaces `<prefix>-a-<id>` and `<prefix>-b-<id>` joined by veth, loopback up, IPv4 and IPv6. */
export async function createPodPair(prefix = 'ort'): Promise<PodPair> {
  const id = randomBytes(3).toString('hex');
  const a: Pod = { ns: `${prefix}-a-${id}`, v4: '198.18.0.1', v6: '2001:2::1', exec: (cmd, ...args) => ['ip', 'netns', 'exec', a.ns, cmd, ...args] };
  const b: Pod = { ns: `${prefix}-b-${id}`, v4: '198.18.0.2', v6: '2001:2::2', exec: (cmd, ...args) => ['ip', 'netns', 'exec', b.ns, cmd, ...args] };
  const created: string[] = [];
  const destroy = async () => {
    for (const ns of created.reverse()) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    created.length = 0;
  };
  try {
    for (const pod of [a, b]) {
      await must('ip', ['netns', 'add', pod.ns]);
      created.push(pod.ns);
    }
    const va = `va${id}`;
    const vb = `vb${id}`;
    await must('ip', ['link', 'add', va, 'netns', a.ns, 'type', 'veth', 'peer', 'name', vb, 'netns', b.ns]);
    for (const [pod, dev] of [[a, va], [b, vb]] as const) {
      const inNs = (...args: string[]) => must('ip', ['netns', 'exec', pod.ns, ...args]);
      await inNs('ip', 'link', 'set', 'lo', 'up');
      await inNs('ip', 'addr', 'add', `${pod.v4}/24`, 'dev', dev);
      // nodad: the address is usable at once instead of after duplicate address detection.
      await inNs('ip', '-6', 'addr', 'add', `${pod.v6}/64`, 'dev', dev, 'nodad');
      await inNs('ip', 'link', 'set', dev, 'up');
    }
    return { a, b, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** Names of namespaces that exist now (to assert that a suite left none behind). */
export async function listNamespaces(): Promise<string[]> {
  const out = await must('ip', ['netns', 'list']);
  return out.split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
}
