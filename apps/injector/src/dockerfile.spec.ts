// deploy/Dockerfile, checked without a Docker engine (none runs here): parsed into its stages and
// instructions, and held to what the injector and the install expect of the image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultInjectConfig, injectPod, INJECT_LABEL, type PodLike } from '@outrigger/inject';
import { renderManifests } from './render-manifests.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const text = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');

/** Instructions per stage, continuation lines joined, comments dropped. */
function parseDockerfile(source: string): Array<{ from: string; steps: Array<{ op: string; args: string }> }> {
  const lines = source.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const stages: Array<{ from: string; steps: Array<{ op: string; args: string }> }> = [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') stages.push({ from: args, steps: [] });
    else stages.at(-1)?.steps.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

test('deploy/Dockerfile: multi-stage on Node 24 slim, non-root, with iptables and every app on PATH', () => {
  const stages = parseDockerfile(text);
  assert.ok(stages.length >= 2, 'multi-stage: the toolchain stays in the build stage');
  for (const stage of stages) assert.match(stage.from, /^node:24-[a-z]+-slim( AS \w+)?$/, 'Node 24 slim, pinned to a major');
  const final = stages.at(-1)?.steps ?? [];
  const args = (op: string) => final.filter((s) => s.op === op).map((s) => s.args);
  const user = args('USER').at(-1) ?? '';
  assert.match(user, /^[1-9]\d*:[1-9]\d*$/, 'a numeric non-root user, so runAsNonRoot can verify it');
  const uid = Number(user.split(':')[0]);
  const deployment = renderManifests({ namespace: 'outrigger-system', image: 'i', imagePullPolicy: undefined, sidecar: 'native', ipv6: false, replicas: 1, caCertPem: '', caKeyPem: '', meshConfigYaml: '' })
    .find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { securityContext: { runAsUser: number } } } } };
  assert.equal(deployment.spec.template.spec.securityContext.runAsUser, uid, 'the manifests run the injector as the image user');
  assert.ok(args('RUN').some((r) => /apt-get install .*\biptables\b/.test(r) && r.includes('rm -rf /var/lib/apt/lists')), 'iptables for init; apt lists removed');
  assert.ok(args('ENV').some((e) => e.includes('PATH=/app/bin:$PATH')), 'the apps are on PATH by their bin names');
  assert.ok(args('COPY').some((c) => /^--from=build .*\/app\/dist\/bundle \/app\/bundle$/.test(c)), 'the final stage copies the bundles (tools/build.ts), no node_modules');
  assert.ok(!args('COPY').some((c) => c.includes('node_modules')), 'no node_modules in the image');
  assert.ok(args('RUN').some((r) => r.includes('for f in /app/bundle/*.mjs; do ln -s "$f" "/app/bin/$(basename "$f" .mjs)"; done')), 'a link per bundle, named by its bin');
  const build = stages[0]?.steps ?? [];
  assert.ok(build.some((s) => s.op === 'RUN' && /npm ci\b.*&& npm run build\b/.test(s.args)), 'dependencies from the lockfile, then the bundles');
  assert.ok(build.some((s) => s.op === 'COPY' && s.args.includes('package-lock.json')));
  // Every package's tsconfig extends the base one; without it esbuild warns for each and ignores their settings.
  assert.ok(build.some((s) => s.op === 'COPY' && s.args.split(/\s+/).includes('tsconfig.base.json')), 'tsconfig.base.json for the bundler');
  assert.ok(build.some((s) => s.op === 'COPY' && s.args === 'tools/ tools/'), 'the build script');

  // Every command the injector puts in a pod is a bin of an app package; tools/build.ts bundles
  // each bin as <bin>.mjs (e2e/src/bundle.spec.ts checks that), linked above as <bin>.
  const bins = new Set(['apps/proxy', 'apps/injector', 'apps/log-exporter', 'apps/config-watcher'].flatMap((dir) =>
    Object.keys((JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin)));
  const input: PodLike = { metadata: { annotations: { 'outrigger.io/log-export': 'stdout', 'outrigger.io/config-watch': 'source=configmap:c,path=/etc/c' } }, spec: { containers: [{ name: 'a', image: 'a' }] } };
  const { pod } = injectPod(input, { namespace: 'shop', namespaceLabels: { [INJECT_LABEL]: 'enabled' }, config: { ...defaultInjectConfig(''), sidecar: 'legacy' } });
  const commands = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].filter((c) => c.name.startsWith('outrigger-'))
    .flatMap((c) => [c.command?.[0], c.lifecycle?.postStart?.exec?.command?.[0]]).filter((c): c is string => c !== undefined);
  assert.deepEqual([...new Set(commands)].sort(), ['outrigger-config-watcher', 'outrigger-injector', 'outrigger-log-exporter', 'outrigger-proxy']);
  for (const command of commands) assert.ok(bins.has(command), `${command} is a package bin`);
});

test('deploy/Dockerfile.dockerignore keeps tests, fixtures and local installs out of the image', () => {
  const ignored = readFileSync(join(ROOT, 'deploy', 'Dockerfile.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  for (const pattern of ['**/node_modules', '.git', '**/*.spec.ts', '**/testdata']) assert.ok(ignored.includes(pattern), pattern);
});
