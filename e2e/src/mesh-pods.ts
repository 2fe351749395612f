// Two "pods" for e2e tests and the mesh demo: network namespaces joined by veth, init rules applied
// by `outrigger-injector init`, a sidecar in each running as UID/GID 1337, and the legacy app on
// 127.0.0.1:8080 (and [::1]:8080) in pod B. stop() removes every process and namespace.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createPodPair, run, start, waitFor, type Pod, type PodPair, type Started } from '@outrigger/testing';

const root = resolve(import.meta.dirname, '..', '..');
const node = process.execPath;
export const INJECTOR = join(root, 'apps', 'injector', 'src', 'main.ts');
const PROXY = join(root, 'apps', 'proxy', 'src', 'main.ts');
const APP = join(root, 'examples', 'src', 'legacy-app.ts');

export interface Mesh {
  pods: PodPair;
  a: Pod;
  b: Pod;
  proxies: { a: Started; b: Started };
  apps: Started[];
  /** GET through pod A's namespace (as root: captured by A's OUTPUT rules). */
  curlFromA(url: string, ...flags: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  metrics(pod: Pod): Promise<string>;
  stop(): Promise<void>;
}

export interface MeshOptions {
  initArgsA?: string[];
  initArgsB?: string[];
  /** Extra apps in pod B: [host, port]. */
  extraApps?: Array<[string, number]>;
}

const PROXY_CONFIG = `# a sidecar in transparent mode (ports 15006 inbound, 15001 outbound, 15020 admin)
admin: { address: "::", port: 15020 }
transparent:
  inbound: { address: "::" }
  outbound: { address: "::" }
accessLog: { stdout: true }
`;

export async function startMesh(opts: MeshOptions = {}): Promise<Mesh> {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-mesh-'));
  chmodSync(dir, 0o755); // the sidecars run as UID 1337 and must read their config
  const config = join(dir, 'proxy.yaml');
  writeFileSync(config, PROXY_CONFIG, { mode: 0o644 });
  const pods = await createPodPair('ort');
  const started: Started[] = [];
  const stop = async () => {
    for (const p of started.reverse()) await p.stop().catch(() => undefined);
    await pods.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const [pod, extra] of [[pods.a, opts.initArgsA ?? []], [pods.b, opts.initArgsB ?? []]] as const) {
      const r = await run('ip', ['netns', 'exec', pod.ns, node, INJECTOR, 'init', ...extra], { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`init in ${pod.ns} failed: ${r.stderr}${r.stdout}`);
    }
    const apps: Started[] = [];
    for (const [host, port] of [['127.0.0.1', 8080], ['::1', 8080], ...(opts.extraApps ?? [])] as Array<[string, number]>) {
      const app = start('ip', ['netns', 'exec', pods.b.ns, node, APP], { env: { ...process.env, LEGACY_APP_HOST: host, LEGACY_APP_PORT: String(port) } });
      started.push(app);
      apps.push(app);
      await app.waitForLine(/listening on/);
    }
    const sidecar = (pod: Pod) => {
      const proxy = start('ip', ['netns', 'exec', pod.ns, 'setpriv', '--reuid=1337', '--regid=1337', '--clear-groups', node, PROXY, '--config', config]);
      started.push(proxy);
      return proxy;
    };
    const proxies = { a: sidecar(pods.a), b: sidecar(pods.b) };
    await proxies.a.waitForLine(/"msg":"ready"/);
    await proxies.b.waitForLine(/"msg":"ready"/);
    const metrics = async (pod: Pod) => {
      const r = await run('ip', ['netns', 'exec', pod.ns, 'curl', '-sS', '--max-time', '5', 'http://127.0.0.1:15020/metrics']);
      if (r.code !== 0) throw new Error(`metrics of ${pod.ns}: ${r.stderr}`);
      return r.stdout;
    };
    await waitFor(async () => (await metrics(pods.a)).length > 0 && (await metrics(pods.b)).length > 0, 'both admin servers');
    return {
      pods,
      a: pods.a,
      b: pods.b,
      proxies,
      apps,
      curlFromA: (url, ...flags) => run('ip', ['netns', 'exec', pods.a.ns, 'curl', '-sS', '--max-time', '10', ...flags, url], { timeoutMs: 20_000 }),
      metrics,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The value of the first sample whose line matches every fragment, or 0. */
export function sample(metricsText: string, name: string, ...fragments: string[]): number {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${name}{`) && fragments.every((f) => l.includes(f)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
