// `init` against a fake CommandRunner: the commands it runs and in which order, what it prints,
// and how each kind of failure reads. The real kernel is init-netns.spec.ts's business.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCaptureSpec, planCapture, renderRestore } from '@outrigger/netfilter';
import type { CommandResult, CommandRunner } from './command-runner.ts';
import { runInit } from './init-command.ts';
import { runCli } from './cli.ts';

interface Call { line: string; input: string | undefined }
type Answer = Partial<CommandResult> | Error;

/** Answers each command from `answer` (first match by prefix of "cmd args..."), success otherwise. */
function fakeRunner(answers: Array<[prefix: string, answer: Answer | Answer[]]> = []): { runner: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const runner: CommandRunner = {
    async run(cmd, args, input) {
      const line = [cmd, ...args].join(' ');
      calls.push({ line, input });
      const found = answers.find(([prefix]) => line.startsWith(prefix));
      // A list is answered in turn, its last answer repeating: -C finds a jump twice, then not.
      const answer = Array.isArray(found?.[1]) ? (found[1].length > 1 ? found[1].shift() : found[1][0]) : found?.[1];
      if (answer instanceof Error) throw answer;
      return { status: 0, stdout: '', stderr: '', ...answer };
    },
  };
  return { runner, calls };
}

async function init(args: string[], runner: CommandRunner) {
  const out: string[] = [];
  const err: string[] = [];
  let code: number;
  try {
    code = await runInit(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, runner);
  } catch (e) {
    return { code: undefined, out: out.join('\n'), error: e as Error };
  }
  return { code, out: out.join('\n'), error: undefined };
}

const enoent = () => Object.assign(new Error('spawn iptables-nft ENOENT'), { code: 'ENOENT' });
const ABSENT = { status: 1, stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).\n' };
const SAVE = '*nat\n:OUTRIGGER_INBOUND - [0:0]\n-A PREROUTING -p tcp -m comment --comment "outrigger/inbound-jump" -j OUTRIGGER_INBOUND\nCOMMIT\n';

test('apply with --backend nft: restore, then -C and -A only the missing jump, then save', async () => {
  const { runner, calls } = fakeRunner([
    ['iptables-nft -w 10 -t nat -C PREROUTING', ABSENT],
    ['iptables-nft-save', { stdout: SAVE }],
  ]);
  const run = await init(['--backend', 'nft', '--exclude-inbound-ports', '22'], runner);
  assert.equal(run.code, 0);
  assert.deepEqual(calls.map((c) => c.line), [
    'iptables-nft-restore -w 10 --noflush',
    'iptables-nft -w 10 -t nat -C PREROUTING -p tcp -m comment --comment outrigger/inbound-jump -j OUTRIGGER_INBOUND',
    'iptables-nft -w 10 -t nat -A PREROUTING -p tcp -m comment --comment outrigger/inbound-jump -j OUTRIGGER_INBOUND',
    'iptables-nft -w 10 -t nat -C OUTPUT -p tcp -m comment --comment outrigger/outbound-jump -j OUTRIGGER_OUTPUT',
    'iptables-nft-save -t nat',
  ]);
  assert.equal(calls[0]?.input, renderRestore(planCapture({ ...defaultCaptureSpec(), excludeInboundPorts: [22] }).v4));
  assert.equal(run.out, [
    'init: using iptables-nft (--backend)',
    '# iptables-nft-save -t nat: ours',
    ':OUTRIGGER_INBOUND - [0:0]',
    '-A PREROUTING -p tcp -m comment --comment "outrigger/inbound-jump" -j OUTRIGGER_INBOUND',
  ].join('\n'));
});

test('auto picks the backend whose nat table has rules, and --ipv6 repeats everything with ip6tables', async () => {
  const { runner, calls } = fakeRunner([['iptables-legacy -w 10 -t nat -S', { stdout: '-P PREROUTING ACCEPT\n-N KUBE-SERVICES\n-A PREROUTING -j KUBE-SERVICES\n' }]]);
  const run = await init(['--ipv6'], runner);
  assert.equal(run.code, 0);
  assert.match(run.out, /^init: using iptables-legacy \(auto: the nat table has 2 rules under legacy, none under nft\)\n/);
  assert.deepEqual(calls.map((c) => c.line.split(' ')[0]), [
    'iptables-nft', 'iptables-legacy',
    'iptables-legacy-restore', 'iptables-legacy', 'iptables-legacy',
    'ip6tables-legacy-restore', 'ip6tables-legacy', 'ip6tables-legacy',
    'iptables-legacy-save', 'ip6tables-legacy-save',
  ]);
  assert.match(run.out, /# ip6tables-legacy-save -t nat: none of ours$/);
});

test('--cleanup deletes every copy of a jump, takes a missing chain in its stride, and shows nothing left', async () => {
  const { runner, calls } = fakeRunner([
    ['iptables-nft -w 10 -t nat -C PREROUTING', [{}, {}, ABSENT]],
    ['iptables-nft -w 10 -t nat -C OUTPUT', { status: 2, stderr: "iptables v1.8.9 (nf_tables): Chain 'OUTRIGGER_OUTPUT' does not exist\n" }],
    ['iptables-nft -w 10 -t nat -F OUTRIGGER_OUTPUT', { status: 1, stderr: 'iptables: No chain/target/match by that name.\n' }],
    ['iptables-nft -w 10 -t nat -X OUTRIGGER_OUTPUT', { status: 1, stderr: 'iptables: No chain/target/match by that name.\n' }],
  ]);
  const run = await init(['--cleanup', '--backend=nft'], runner);
  assert.equal(run.code, 0, run.error?.message);
  assert.deepEqual(calls.map((c) => c.line.replace(/ -p tcp .*/, '')), [
    'iptables-nft -w 10 -t nat -C PREROUTING', 'iptables-nft -w 10 -t nat -D PREROUTING',
    'iptables-nft -w 10 -t nat -C PREROUTING', 'iptables-nft -w 10 -t nat -D PREROUTING',
    'iptables-nft -w 10 -t nat -C PREROUTING',
    'iptables-nft -w 10 -t nat -C OUTPUT',
    'iptables-nft -w 10 -t nat -F OUTRIGGER_INBOUND', 'iptables-nft -w 10 -t nat -F OUTRIGGER_OUTPUT',
    'iptables-nft -w 10 -t nat -X OUTRIGGER_INBOUND', 'iptables-nft -w 10 -t nat -X OUTRIGGER_OUTPUT',
    'iptables-nft-save -t nat',
  ]);
  assert.equal(run.out, 'init: using iptables-nft (--backend)\ninit: removed our jumps and chains\n# iptables-nft-save -t nat: none of ours');
});

test('--cleanup fails when our lines are still there afterwards', async () => {
  const { runner } = fakeRunner([['iptables-nft -w 10 -t nat -C', ABSENT], ['iptables-nft-save', { stdout: SAVE }]]);
  const run = await init(['--cleanup', '--backend', 'nft'], runner);
  assert.match(run.error?.message ?? '', /^init: cleanup left rules behind:\n:OUTRIGGER_INBOUND - \[0:0\]\n-A PREROUTING/);
});

test('--dry-run runs nothing and prints the restore text and the jump commands', async () => {
  const { runner, calls } = fakeRunner();
  const run = await init(['--dry-run', '--ipv6', '--backend', 'legacy'], runner);
  assert.equal(run.code, 0);
  assert.deepEqual(calls, []);
  assert.ok(run.out.includes(`iptables-legacy-restore -w 10 --noflush <<'EOF'\n${renderRestore(planCapture(defaultCaptureSpec()).v4)}EOF\n`));
  assert.match(run.out, /\nip6tables-legacy -w 10 -t nat -C OUTPUT -p tcp -m comment --comment outrigger\/outbound-jump -j OUTRIGGER_OUTPUT 2>\/dev\/null \|\| ip6tables-legacy -w 10 -t nat -A OUTPUT /);
  const cleanup = await init(['--dry-run', '--cleanup'], runner);
  assert.deepEqual(calls, []);
  assert.match(cleanup.out, /\nwhile iptables -w 10 -t nat -C PREROUTING .* 2>\/dev\/null; do iptables -w 10 -t nat -D PREROUTING .*; done\n/);
  assert.match(cleanup.out, /\niptables -w 10 -t nat -X OUTRIGGER_OUTPUT$/);
});

const failures: Array<[name: string, answers: Array<[string, Answer]>, args: string[], message: RegExp]> = [
  ['no iptables at all', [['iptables-', enoent()]], [], /^init: iptables not found: install the iptables package \(iptables-nft is not on PATH\)$/],
  ['not root', [['iptables-', { status: 4, stderr: 'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n' }]], [],
    /^init: needs CAP_NET_ADMIN \(and NET_RAW\): run as root or add the capabilities \(iptables-nft: Could not fetch rule set generation id: Permission denied \(you must be root\)\)$/],
  ['legacy without access to its lock file', [['iptables-legacy', { status: 4, stderr: "Fatal: can't open lock file /run/xtables.lock: Permission denied\n" }]], ['--backend', 'legacy'],
    /^init: needs CAP_NET_ADMIN \(and NET_RAW\)/],
  ['exit 4 without a word', [['iptables-nft-restore', { status: 4 }]], ['--backend', 'nft'], /^init: needs CAP_NET_ADMIN \(and NET_RAW\)/],
  ['the xtables lock stays busy (exit 4, but not a capability)', [['iptables-legacy-restore', { status: 4, stderr: 'Another app is currently holding the xtables lock. Stopped waiting after 10s.\n' }]], ['--backend', 'legacy'],
    /^init: iptables-legacy-restore -w 10 --noflush failed \(exit 4\): Another app is currently holding the xtables lock/],
  ['a restore line refused', [['iptables-nft-restore', { status: 2, stderr: 'iptables-nft-restore v1.8.9 (nf_tables): unknown option "--uid-owner"\nError occurred at line: 8\nTry `iptables-nft-restore -h\' for more information.\n' }]], ['--backend', 'nft'],
    /^init: iptables-nft-restore refused line 8: unknown option "--uid-owner"\n {2}8 \| -A OUTRIGGER_OUTPUT -m owner --uid-owner 1337 /],
  ['a commit refused by the kernel (legacy wording)', [['iptables-legacy-restore', { status: 1, stderr: 'iptables-restore: line 4 failed\n' }]], ['--backend', 'legacy'],
    /^init: iptables-legacy-restore refused line 4: iptables-restore: line 4 failed\n {2}4 \| -A OUTRIGGER_INBOUND -p tcp -m tcp --dport 15001 /],
  ['a jump refused', [['iptables-nft -w 10 -t nat -C', ABSENT], ['iptables-nft -w 10 -t nat -A', { status: 1, stderr: 'iptables: No chain/target/match by that name.\n' }]], ['--backend', 'nft'],
    /^init: iptables-nft -w 10 -t nat -A PREROUTING .* failed \(exit 1\): iptables: No chain\/target\/match by that name\.$/],
];

for (const [name, answers, args, message] of failures) {
  test(`failure reads clearly: ${name}`, async () => {
    const run = await init(args, fakeRunner(answers).runner);
    assert.equal(run.code, undefined, 'runInit throws; runCli turns it into exit 1');
    assert.match(run.error?.message ?? '', message);
  });
}

test('through runCli: bad arguments exit 2, all named at once, without a stack trace; --help exits 0', async () => {
  const err: string[] = [];
  const io = { out: () => {}, err: (l: string) => err.push(l) };
  assert.equal(await runCli(['init', '--exclude-inbound-ports', '22,ssh', '--bogus'], io), 2);
  assert.equal(err.join('\n'), [
    'init: unknown flag --bogus',
    'init: --exclude-inbound-ports: "ssh" is not a port (1-65535)',
    "(see 'outrigger-injector init --help')",
  ].join('\n'));
  const help: string[] = [];
  assert.equal(await runCli(['init', '--help'], { out: (l) => help.push(l), err: () => {} }), 0);
  assert.match(help.join(''), /^Usage: outrigger-injector init /);
});
