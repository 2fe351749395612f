// `init` arguments: init's own flags picked out, the capture flags handed to fromArgs, and every
// mistake named at once as a usage error (exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCaptureSpec, toArgs } from '@outrigger/netfilter';
import { CliError } from './cli-error.ts';
import { parseInitArgs } from './init-args.ts';

test('no arguments: the default spec, applied for real, backend probed', () => {
  assert.deepEqual(parseInitArgs([]), { kind: 'init', options: { spec: defaultCaptureSpec(), dryRun: false, cleanup: false, backend: 'auto' } });
});

test("the injector's toArgs output is read back as the same spec, init's flags anywhere among it", () => {
  const spec = { ...defaultCaptureSpec(), excludeInboundPorts: [22], excludeOutboundCidrs: ['169.254.169.254/32'], ipv6: true };
  const [first = '', second = '', ...rest] = toArgs(spec);
  const parsed = parseInitArgs([first, second, '--dry-run', ...rest, '--backend', 'legacy', '--cleanup']);
  assert.deepEqual(parsed, { kind: 'init', options: { spec, dryRun: true, cleanup: true, backend: 'legacy' } });
  assert.deepEqual(parseInitArgs(['--backend=nft']), { kind: 'init', options: { spec: defaultCaptureSpec(), dryRun: false, cleanup: false, backend: 'nft' } });
});

test('--help and -h win over anything else', () => {
  for (const help of ['--help', '-h']) {
    const parsed = parseInitArgs(['--bogus', help]);
    assert.equal(parsed.kind, 'help');
    if (parsed.kind === 'help') assert.match(parsed.text, /^Usage: outrigger-injector init /);
  }
});

const mistakes: Array<[args: string[], message: string]> = [
  [['--dryrun'], 'init: unknown flag --dryrun (did you mean --dry-run?)'],
  [['--exclude-inbound-port', '22'], 'init: unknown flag --exclude-inbound-port (did you mean --exclude-inbound-ports?)'],
  [['--frobnicate=1'], 'init: unknown flag --frobnicate'],
  [['--backend', 'iptables'], 'init: --backend: "iptables" is not one of auto, nft, legacy'],
  [['--backend'], 'init: --backend: "" is not one of auto, nft, legacy'],
  [['--backend', 'nft', '--backend', 'nft'], 'init: --backend: given twice'],
  [['--inbound-port', '0', '--ipv6', 'maybe'], 'init: --ipv6: "maybe" is not true or false'],
  [['--inbound-port', '0'], 'init: --inbound-port: 0 is not a port (1-65535)'],
  [['--exclude-outbound-cidrs', '10.0.0.1/8'], 'init: --exclude-outbound-cidrs: "10.0.0.1/8" has address bits set beyond its /8 prefix'],
];

for (const [args, message] of mistakes) {
  test(`init ${args.join(' ')}: a usage error naming the flag`, () => {
    assert.throws(() => parseInitArgs(args), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.kind, 'usage');
      assert.equal(err.exitCode, 2);
      assert.equal(err.message, `${message}\n(see 'outrigger-injector init --help')`);
      return true;
    });
  });
}
