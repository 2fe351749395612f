// Two "pods" for e2e tests and the mesh demo: network namespaces joined by veth, init rules applied
// by `outrigger-injector init`, a sidecar in each running as UID/GID 1337, and the legacy app on
// 127.0.0.1:8080 (and [::1]:8080) in pod B. stop() removes every process and namespace.
import { chmodSync, chownSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createCa, issueLeaf } from '@outrigger/pki';
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
  certs: MeshCerts | null;
  a: Pod;
  b: Pod;
  proxies: { a: Started; b: Started };
  apps: Started[];
  /** GET through pod A's namespace (as root: captured by A's OUTPUT rules). */
  curlFromA(url: string, ...flags: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** A command in pod A as UID 1337, which the rules exempt: it reaches pod B without A's sidecar. */
  bypassFromA(cmd: string, args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  metrics(pod: Pod): Promise<string>;
  /** Rewrites pod B's proxy config with another inbound section (atomically), for live reloads. */
  reconfigureB(inboundB: string): void;
  stop(): Promise<void>;
}

export interface MeshOptions {
  initArgsA?: string[];
  initArgsB?: string[];
  /** Extra apps in pod B: [host, port]. */
  extraApps?: Array<[string, number]>;
  /** Mesh mTLS: certificates for both pods from one CA, and pod B's inbound section (YAML flow map body). */
  mtls?: { inboundB?: string };
}

export interface MeshCerts {
  dir: string;
  caCert: string;
  /** Pod A's identity (ns demo, sa client) and pod B's (ns demo, sa legacy-app). */
  a: { cert: string; key: string; id: string };
  b: { cert: string; key: string; id: string };
  /** For refusal tests: another CA, another trust domain, an expired certificate. */
  otherCa: { cert: string; key: string };
  otherDomain: { cert: string; key: string };
  expired: { cert: string; key: string };
}

function proxyConfig(certs: MeshCerts | null, pod: 'a' | 'b', inbound: string): string {
  const identity = certs
    ? `identity: { certFile: ${certs[pod].cert}, keyFile: ${certs[pod].key}, trustBundleFile: ${certs.caCert} }
mesh: { networks: ["198.18.0.0/24", "2001:2::/64"] }
`
    : '';
  return `# a sidecar in transparent mode (ports 15006 inbound, 15001 outbound, 15020 admin)
admin: { address: "::", port: 15020 }
${identity}transparent:
  inbound: { address: "::"${inbound ? `, ${inbound}` : ''} }
  outbound: { address: "::" }
accessLog: { stdout: true }
`;
}

/** PEM files owned by UID 1337 (the sidecar) with private keys 0600, as a kubelet would mount them. */
function writeMeshCerts(dir: string): MeshCerts {
  const past = new Date(Date.now() - 48 * 3_600_000);
  // Made in the past so that it can also have issued a certificate that has expired since.
  const ca = createCa({ trustDomain: 'cluster.local', now: past });
  const other = createCa({ trustDomain: 'cluster.local', commonName: 'an unrelated CA' });
  const write = (name: string, bundle: { certPem: string; keyPem: string }) => {
    const cert = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    writeFileSync(cert, bundle.certPem, { mode: 0o644 });
    writeFileSync(key, bundle.keyPem, { mode: 0o600 });
    chownSync(key, 1337, 1337);
    return { cert, key };
  };
  const id = (sa: string, trustDomain = 'cluster.local') => ({ trustDomain, namespace: 'demo', serviceAccount: sa });
  const caCert = join(dir, 'ca.crt');
  writeFileSync(caCert, ca.certPem, { mode: 0o644 });
  return {
    dir,
    caCert,
    a: { ...write('a', issueLeaf({ ca, identity: id('client') })), id: 'spiffe://cluster.local/ns/demo/sa/client' },
    b: { ...write('b', issueLeaf({ ca, identity: id('legacy-app') })), id: 'spiffe://cluster.local/ns/demo/sa/legacy-app' },
    otherCa: write('other-ca', issueLeaf({ ca: other, identity: id('client') })),
    otherDomain: write('other-domain', issueLeaf({ ca, identity: id('client', 'other.example') })),
    expired: write('expired', issueLeaf({ ca, identity: id('client'), now: past, validityHours: 1 })),
  };
}

export async function startMesh(opts: MeshOptions = {}): Promise<Mesh> {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-mesh-'));
  chmodSync(dir, 0o755); // the sidecars run as UID 1337 and must read their config
  const certs = opts.mtls ? writeMeshCerts(dir) : null;
  const configs = { a: join(dir, 'proxy-a.yaml'), b: join(dir, 'proxy-b.yaml') };
  writeFileSync(configs.a, proxyConfig(certs, 'a', ''), { mode: 0o644 });
  writeFileSync(configs.b, proxyConfig(certs, 'b', opts.mtls?.inboundB ?? ''), { mode: 0o644 });
  const pods = await createPodPair('ort');
  const started: Started[] = [];
  const stop = async () => {
    for (const p of started.reverse()) await p.stop().catch(() => undefined);
    await pods.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const [pod, extra] of [[pods.a, opts.initArgsA ?? []], [pods.b, opts.initArgsB ?? []]] as const) {
      const r = await run('ip', ['netns', 'exec', pod.ns, node, INJECTOR, 'init', '--ipv6', ...extra], { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`init in ${pod.ns} failed: ${r.stderr}${r.stdout}`);
    }
    const apps: Started[] = [];
    for (const [host, port] of [['127.0.0.1', 8080], ['::1', 8080], ...(opts.extraApps ?? [])] as Array<[string, number]>) {
      const app = start('ip', ['netns', 'exec', pods.b.ns, node, APP], { env: { ...process.env, LEGACY_APP_HOST: host, LEGACY_APP_PORT: String(port) } });
      started.push(app);
      apps.push(app);
      await app.waitForLine(/listening on/);
    }
    const sidecar = (pod: Pod, config: string) => {
      const proxy = start('ip', ['netns', 'exec', pod.ns, 'setpriv', '--reuid=1337', '--regid=1337', '--clear-groups', node, PROXY, '--config', config]);
      started.push(proxy);
      return proxy;
    };
    const proxies = { a: sidecar(pods.a, configs.a), b: sidecar(pods.b, configs.b) };
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
      certs,
      a: pods.a,
      b: pods.b,
      proxies,
      apps,
      bypassFromA: (cmd, args, input) =>
        run('ip', ['netns', 'exec', pods.a.ns, 'setpriv', '--reuid=1337', '--regid=1337', '--clear-groups', cmd, ...args], { input, timeoutMs: 20_000 }),
      curlFromA: (url, ...flags) => run('ip', ['netns', 'exec', pods.a.ns, 'curl', '-sS', '--max-time', '10', ...flags, url], { timeoutMs: 20_000 }),
      metrics,
      reconfigureB(inboundB) {
        writeFileSync(`${configs.b}.tmp`, proxyConfig(certs, 'b', inboundB), { mode: 0o644 });
        renameSync(`${configs.b}.tmp`, configs.b);
      },
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
