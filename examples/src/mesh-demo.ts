// `npm run demo:mesh` (root): a one-machine mesh. Two "pods" as network namespaces joined by veth
// (198.18.0.1 and 198.18.0.2), the init rules applied in each, a sidecar in each as UID 1337 with
// its own SPIFFE identity, the legacy app on 127.0.0.1:8080 in pod B; a request from pod A reaches
// it by pod B's address through both sidecars, mutual TLS between them. Every command is printed
// as it runs. Exit (or --once) removes all it created.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const node = process.execPath;
const once = process.argv.includes('--once');
const pods = {
  a: { ns: 'outrigger-demo-a', ip: '198.18.0.1', dev: 'ort-demo-a', sa: 'client' },
  b: { ns: 'outrigger-demo-b', ip: '198.18.0.2', dev: 'ort-demo-b', sa: 'legacy-app' },
};
const injector = join(root, 'apps/injector/src/main.ts');
const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'outrigger-mesh-demo-'));

function sh(cmd: string[], quiet = false): string {
  if (!quiet) process.stdout.write(`  $ ${cmd.join(' ')}\n`);
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}
const inPod = (pod: { ns: string }, ...cmd: string[]) => ['ip', 'netns', 'exec', pod.ns, ...cmd];

function background(name: string, cmd: string[], env: Record<string, string> = {}): ChildProcess {
  process.stdout.write(`  $ ${cmd.join(' ')} &\n`);
  const child = spawn(cmd[0] as string, cmd.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stdout?.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => process.stdout.write(`    ${name} | ${l}\n`)));
  child.stderr?.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => process.stdout.write(`    ${name} | ${l}\n`)));
  return child;
}

async function waitFor(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  process.stdout.write('\ncleaning up\n');
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
  for (const pod of Object.values(pods)) spawnSync('ip', ['netns', 'del', pod.ns]);
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write('  removed both namespaces (with their veth ends and iptables rules) and stopped every process\n');
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the mesh demo needs root (network namespaces and iptables): run it with sudo');
  for (const pod of Object.values(pods)) spawnSync('ip', ['netns', 'del', pod.ns]); // left over from a killed run

  process.stdout.write('1. two pods: network namespaces joined by a veth pair\n');
  for (const pod of Object.values(pods)) sh(['ip', 'netns', 'add', pod.ns]);
  sh(['ip', 'link', 'add', pods.a.dev, 'netns', pods.a.ns, 'type', 'veth', 'peer', 'name', pods.b.dev, 'netns', pods.b.ns]);
  for (const pod of Object.values(pods)) {
    sh(inPod(pod, 'ip', 'link', 'set', 'lo', 'up'));
    sh(inPod(pod, 'ip', 'addr', 'add', `${pod.ip}/24`, 'dev', pod.dev));
    sh(inPod(pod, 'ip', 'link', 'set', pod.dev, 'up'));
  }

  process.stdout.write('\n2. the init container\'s job in each pod: outrigger-injector init\n');
  for (const pod of Object.values(pods)) process.stdout.write(sh(inPod(pod, node, injector, 'init')).replace(/^(?=.)/gm, '    ')); // not after the last newline

  process.stdout.write('\n3. a mesh CA, and a certificate per pod with its SPIFFE ID (the CA signer\'s job in a cluster)\n');
  chmodSync(dir, 0o755);
  sh([node, injector, 'ca', 'init', '--dir', join(dir, 'ca')]);
  for (const [name, pod] of Object.entries(pods)) {
    const out = join(dir, `identity-${name}`);
    sh([node, injector, 'ca', 'issue', '--ca-dir', join(dir, 'ca'), '--out', out, '--namespace', 'demo', '--service-account', pod.sa]);
    // The sidecar runs as UID 1337 and alone reads its key, as with a mounted Secret.
    chmodSync(out, 0o755);
    for (const file of readdirSync(out)) chownSync(join(out, file), 1337, 1337);
  }

  process.stdout.write('\n4. the legacy app in pod B, on 127.0.0.1:8080 only\n');
  const app = background('app', inPod(pods.b, node, join(root, 'examples/src/legacy-app.ts')), { LEGACY_APP_PORT: '8080' });
  let appReady = false;
  app.stderr?.on('data', (d: Buffer) => (appReady ||= d.toString().includes('listening')));
  await waitFor(() => appReady, 'the app');

  process.stdout.write('\n5. a sidecar in each pod, as UID/GID 1337 (the rules exempt it); mesh mTLS inside 198.18.0.0/24\n');
  const ready: Record<string, boolean> = {};
  for (const [name, pod] of Object.entries(pods)) {
    const id = join(dir, `identity-${name}`);
    const config = join(dir, `proxy-${name}.yaml`);
    writeFileSync(
      config,
      `admin: { address: 0.0.0.0, port: 15020 }
identity: { certFile: ${id}/tls.crt, keyFile: ${id}/tls.key, trustBundleFile: ${id}/ca.crt }
mesh: { networks: ["198.18.0.0/24"] }
transparent: {}
accessLog: { stdout: true }
`,
      { mode: 0o644 },
    );
    const proxy = background(`sidecar-${name}`, inPod(pod, 'setpriv', '--reuid=1337', '--regid=1337', '--clear-groups', node, join(root, 'apps/proxy/src/main.ts'), '--config', config));
    proxy.stderr?.on('data', (d: Buffer) => (ready[name] ||= d.toString().includes('"msg":"ready"')));
  }
  await waitFor(() => Boolean(ready.a && ready.b), 'both sidecars');

  process.stdout.write(`\n6. a request from pod A to pod B's address: app -> sidecar A (outbound) -> mTLS -> sidecar B (inbound) -> app\n`);
  process.stdout.write(sh(inPod(pods.a, 'curl', '-sS', '--max-time', '10', `http://${pods.b.ip}:8080/hello`)).replace(/^(?=.)/gm, '    '));
  for (const [name, pod] of Object.entries(pods)) {
    const metrics = sh(inPod(pod, 'curl', '-sS', 'http://127.0.0.1:15020/metrics'), true);
    const lines = metrics.split('\n').filter((l) => l.startsWith('outrigger_requests_total{'));
    process.stdout.write(`  sidecar ${name} /metrics:\n${lines.map((l) => `    ${l}`).join('\n')}\n`);
  }
  if (once) return;
  process.stdout.write(`\nTry more (in another terminal, as root):
  ip netns exec ${pods.a.ns} curl http://${pods.b.ip}:8080/
  ip netns exec ${pods.a.ns} curl http://127.0.0.1:15020/metrics
  ip netns exec ${pods.b.ns} iptables-save -t nat
Press Ctrl-C to stop and remove everything.\n`);
  await new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
}

try {
  await main();
  await cleanup();
} catch (err) {
  process.stderr.write(`mesh demo: ${(err as Error).message}\n`);
  await cleanup();
  process.exitCode = 1;
}
