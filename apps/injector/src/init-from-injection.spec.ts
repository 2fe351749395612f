// The init container's args as injectPod writes them, run through `init` in a network namespace
// this test creates and always deletes: the kernel ends up holding exactly the planned rules, and
// they match the golden testdata/injected-init.v4.rules (UPDATE_GOLDEN=1 rewrites it). Root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CONTAINERS, defaultInjectConfig, injectPod, INJECT_LABEL, type PodLike } from '@outrigger/inject';
import { fromArgs, parseOwnLines, planCapture, planJumps, renderRuleLine } from '@outrigger/netfilter';
import { checkGolden, run } from '@outrigger/testing';

const MAIN = join(import.meta.dirname, 'main.ts');
const asRoot = process.getuid?.() === 0 ? false : 'needs root to create network namespaces (CI runs as root)';

const pod: PodLike = {
  metadata: { name: 'web', annotations: { 'outrigger.io/skip-inbound-ports': '22', 'outrigger.io/skip-outbound-ports': '53', 'outrigger.io/skip-outbound-cidrs': '169.254.169.254/32' } },
  spec: { containers: [{ name: 'web', image: 'web:1' }] },
};

test('the injected init container installs the rules planned for its spec', { skip: asRoot }, async () => {
  const { pod: injected } = injectPod(pod, { namespace: 'shop', namespaceLabels: { [INJECT_LABEL]: 'enabled' }, config: defaultInjectConfig('') });
  const init = injected.spec?.initContainers?.find((c) => c.name === CONTAINERS.init);
  assert.deepEqual(init?.command, ['outrigger-injector']);
  const [sub, ...args] = init?.args ?? [];
  assert.equal(sub, 'init');
  const parsed = fromArgs(args);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const expected = [':OUTRIGGER_INBOUND - [0:0]', ':OUTRIGGER_OUTPUT - [0:0]', ...[...planJumps(parsed.spec).v4, ...planCapture(parsed.spec).v4].map(renderRuleLine)];
  checkGolden(join(import.meta.dirname, 'testdata'), 'injected-init.v4.rules', `${expected.join('\n')}\n`);

  const ns = `outrigger-test-${randomBytes(4).toString('hex')}`;
  assert.equal((await run('ip', ['netns', 'add', ns])).code, 0);
  try {
    const result = await run('ip', ['netns', 'exec', ns, process.execPath, MAIN, 'init', ...args]);
    assert.equal(result.code, 0, result.stderr);
    const saved = await run('ip', ['netns', 'exec', ns, 'iptables-nft-save', '-t', 'nat']);
    assert.deepEqual(parseOwnLines(saved.stdout.split('\n').filter((l) => !l.startsWith('#')).join('\n')), expected);
  } finally {
    assert.equal((await run('ip', ['netns', 'del', ns])).code, 0);
  }
});
