// `init` against the real kernel: each test runs the CLI in a network namespace it creates and
// always deletes, so the host's rules are never touched. Root only (CI runs as root); no traffic
// flows, only rules are installed. The last tests need no root: they never reach the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { defaultCaptureSpec, parseOwnLines, planCapture, planJumps, renderRuleLine, toArgs, type CaptureSpec } from '@outrigger/netfilter';
import { run } from '@outrigger/testing';

const MAIN = join(import.meta.dirname, 'main.ts');
const asRoot = process.getuid?.() === 0 ? false : 'needs root to create network namespaces (CI runs as root)';
const SPEC: CaptureSpec = {
  ...defaultCaptureSpec(),
  excludeInboundPorts: [22],
  excludeOutboundPorts: [53],
  excludeOutboundCidrs: ['169.254.169.254/32', 'fd00:ec2::254/128'],
  excludeInboundSourceCidrs: ['198.18.0.0/15'],
  ipv6: true,
};

async function withNetns(fn: (ns: string) => Promise<void>): Promise<void> {
  const ns = `outrigger-test-${randomBytes(4).toString('hex')}`;
  const added = await run('ip', ['netns', 'add', ns]);
  assert.equal(added.code, 0, `ip netns add ${ns}: ${added.stderr}`);
  try {
    await fn(ns);
  } finally {
    const deleted = await run('ip', ['netns', 'del', ns]);
    assert.equal(deleted.code, 0, `ip netns del ${ns}: ${deleted.stderr}`);
  }
}

const inNs = (ns: string, cmd: string, args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args]);

async function init(ns: string, ...args: string[]) {
  const result = await inNs(ns, process.execPath, [MAIN, 'init', ...args]);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  return result;
}

/** iptables-save of the nat table without its timestamped comment lines. */
async function save(ns: string, tool: string): Promise<string> {
  const result = await inNs(ns, tool, ['-t', 'nat']);
  assert.equal(result.code, 0, `${tool}: ${result.stderr}`);
  return result.stdout.split('\n').filter((line) => !line.startsWith('#')).join('\n');
}

function expectedOwnLines(spec: CaptureSpec, family: 'v4' | 'v6'): string[] {
  return [':OUTRIGGER_INBOUND - [0:0]', ':OUTRIGGER_OUTPUT - [0:0]', ...[...planJumps(spec)[family], ...planCapture(spec)[family]].map(renderRuleLine)];
}

test('init installs exactly the planned chains and jumps, for IPv4 and IPv6, and prints them', { skip: asRoot }, async () => {
  await withNetns(async (ns) => {
    const result = await init(ns, ...toArgs(SPEC));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^init: using iptables-nft \(auto: no rules under either backend; nft preferred\)\n# iptables-nft-save -t nat: ours\n/);
    for (const [family, tool] of [['v4', 'iptables-nft-save'], ['v6', 'ip6tables-nft-save']] as const) {
      const lines = expectedOwnLines(SPEC, family);
      assert.deepEqual(parseOwnLines(await save(ns, tool)), lines);
      assert.ok(result.stdout.includes(`# ${tool} -t nat: ours\n${lines.join('\n')}`), `${tool} lines printed`);
    }
  });
});

test('running init twice leaves the same iptables-save as running it once', { skip: asRoot }, async () => {
  await withNetns(async (ns) => {
    assert.equal((await init(ns, ...toArgs(SPEC))).code, 0);
    const once = [await save(ns, 'iptables-nft-save'), await save(ns, 'ip6tables-nft-save')];
    const again = await init(ns, ...toArgs(SPEC));
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual([await save(ns, 'iptables-nft-save'), await save(ns, 'ip6tables-nft-save')], once);
    // A changed spec replaces our rules rather than adding to them.
    const changed = { ...SPEC, excludeInboundPorts: [2222] };
    assert.equal((await init(ns, ...toArgs(changed))).code, 0);
    assert.deepEqual(parseOwnLines(await save(ns, 'iptables-nft-save')), expectedOwnLines(changed, 'v4'));
  });
});

test('--cleanup removes all of ours and nothing else; a second --cleanup is fine', { skip: asRoot }, async () => {
  await withNetns(async (ns) => {
    // Someone else's chain and rules, as kube-proxy or a CNI would leave them.
    for (const args of [['-N', 'OTHER'], ['-A', 'OTHER', '-p', 'udp', '-j', 'RETURN'], ['-A', 'OUTPUT', '-p', 'udp', '-j', 'OTHER']]) {
      assert.equal((await inNs(ns, 'iptables-nft', ['-t', 'nat', ...args])).code, 0);
    }
    const before = [await save(ns, 'iptables-nft-save'), await save(ns, 'ip6tables-nft-save')];
    assert.equal((await init(ns, ...toArgs(SPEC))).code, 0);
    for (let n = 0; n < 2; n++) {
      const cleanup = await init(ns, '--cleanup', '--ipv6');
      assert.equal(cleanup.code, 0, cleanup.stderr);
      assert.match(cleanup.stdout, /# iptables-nft-save -t nat: none of ours\n# ip6tables-nft-save -t nat: none of ours\n$/);
      const after = [await save(ns, 'iptables-nft-save'), await save(ns, 'ip6tables-nft-save')];
      assert.deepEqual(after, before);
      assert.doesNotMatch(after.join('\n'), /OUTRIGGER/);
    }
  });
});

test('--dry-run changes nothing', { skip: asRoot }, async () => {
  await withNetns(async (ns) => {
    const before = [await save(ns, 'iptables-nft-save'), await save(ns, 'iptables-legacy-save')];
    for (const extra of [[], ['--cleanup'], ['--backend', 'legacy']]) {
      const result = await init(ns, '--dry-run', ...extra, ...toArgs(SPEC));
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /nothing was changed/);
    }
    assert.deepEqual([await save(ns, 'iptables-nft-save'), await save(ns, 'iptables-legacy-save')], before);
  });
});

for (const [backend, other] of [['legacy', 'nft'], ['nft', 'legacy']] as const) {
  test(`--backend ${backend} installs into ${backend}'s tables only; auto then stays with ${backend}`, { skip: asRoot }, async () => {
    await withNetns(async (ns) => {
      const result = await init(ns, '--backend', backend, ...toArgs(SPEC));
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(parseOwnLines(await save(ns, `iptables-${backend}-save`)), expectedOwnLines(SPEC, 'v4'));
      assert.deepEqual(parseOwnLines(await save(ns, `ip6tables-${backend}-save`)), expectedOwnLines(SPEC, 'v6'));
      assert.deepEqual(parseOwnLines(await save(ns, `iptables-${other}-save`)), []);
      const auto = await init(ns, ...toArgs(SPEC));
      assert.match(auto.stdout, new RegExp(`^init: using iptables-${backend} \\(auto: the nat table has \\d+ rules under ${backend}, none under ${other}\\)`));
      assert.deepEqual(parseOwnLines(await save(ns, `iptables-${backend}-save`)), expectedOwnLines(SPEC, 'v4'));
      assert.equal((await init(ns, '--cleanup', '--ipv6', '--backend', backend)).code, 0);
      assert.deepEqual(parseOwnLines(await save(ns, `iptables-${backend}-save`)), []);
    });
  });
}

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

const dropsPrivileges = process.getuid?.() === 0 ? false : 'needs root to run the CLI as nobody with setpriv';

test('without CAP_NET_ADMIN: a real run exits 1 naming the capability; --dry-run still works', { skip: dropsPrivileges }, async () => {
  // Run as nobody, outside any namespace: the probe is refused before anything could change.
  const denied = await run(NOBODY[0] ?? '', [...NOBODY.slice(1), process.execPath, MAIN, 'init']);
  assert.equal(denied.code, 1, denied.stderr);
  assert.match(denied.stderr, /^init: needs CAP_NET_ADMIN \(and NET_RAW\): run as root or add the capabilities \(/);
  const dry = await run(NOBODY[0] ?? '', [...NOBODY.slice(1), process.execPath, MAIN, 'init', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
});

test('without iptables on PATH: a real run exits 1 saying what to install; --dry-run still works', async () => {
  const env = { ...process.env, PATH: '/nonexistent' };
  const missing = await run(process.execPath, [MAIN, 'init'], { env });
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'init: iptables not found: install the iptables package (iptables-nft is not on PATH)\n');
  const dry = await run(process.execPath, [MAIN, 'init', '--dry-run', '--ipv6'], { env });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^ip6tables-restore -w 10 --noflush <<'EOF'$/m);
});

test('bad arguments exit 2 and name every mistake', async () => {
  const bad = await run(process.execPath, [MAIN, 'init', '--exclude-inbound-ports', '22,ssh', '--backend', 'iptables']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, [
    'init: --backend: "iptables" is not one of auto, nft, legacy',
    'init: --exclude-inbound-ports: "ssh" is not a port (1-65535)',
    "(see 'outrigger-injector init --help')",
    '',
  ].join('\n'));
});
