// Flag parsing for `ca init` and `ca issue`: the options it yields and the messages it refuses with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCaArgs, type CaCommand } from './ca-args.ts';
import { CliError } from './cli-error.ts';

const issueBase = ['issue', '--ca-dir', 'ca', '--out', 'out', '--namespace', 'shop', '--service-account', 'web'];

const parsed: Array<[name: string, argv: string[], expected: CaCommand | 'help']> = [
  ['init with defaults', ['init', '--dir', 'd'], { kind: 'init', options: { dir: 'd', trustDomain: 'cluster.local', validityDays: 365, force: false } }],
  ['init with every flag', ['init', '--dir=d', '--trust-domain', 'prod.example', '--validity-days', '30', '--force'], { kind: 'init', options: { dir: 'd', trustDomain: 'prod.example', validityDays: 30, force: true } }],
  ['issue with defaults', issueBase, { kind: 'issue', options: { caDir: 'ca', out: 'out', namespace: 'shop', serviceAccount: 'web', trustDomain: undefined, dnsNames: [], ipAddresses: [], validityHours: 24 } }],
  ['issue with repeated --dns and --ip', [...issueBase, '--dns', 'a', '--dns', 'b.c', '--ip', '127.0.0.1', '--ip', '::1', '--validity-hours', '2', '--trust-domain', 'td'],
    { kind: 'issue', options: { caDir: 'ca', out: 'out', namespace: 'shop', serviceAccount: 'web', trustDomain: 'td', dnsNames: ['a', 'b.c'], ipAddresses: ['127.0.0.1', '::1'], validityHours: 2 } }],
  ['ca --help', ['--help'], 'help'],
  ['init --help, even without --dir', ['init', '--help'], 'help'],
  ['issue -h', ['issue', '-h'], 'help'],
];

for (const [name, argv, expected] of parsed) {
  test(`parseCaArgs: ${name}`, () => {
    const command = parseCaArgs(argv);
    if (expected === 'help') assert.equal(command.kind, 'help');
    else assert.deepEqual(command, expected);
  });
}

const refused: Array<[name: string, argv: string[], kind: string, message: RegExp]> = [
  ['a missing subcommand', [], 'usage', /^ca: missing subcommand\n\nUsage:/],
  ['an unknown subcommand', ['sign'], 'usage', /^ca: unknown subcommand "sign"\n\nUsage:/],
  ['a typo of a flag, with a suggestion', ['init', '--dir', 'd', '--trust-domian', 'x'], 'invalid-flag', /^ca init: unknown flag --trust-domian \(did you mean --trust-domain\?\)$/],
  ['an unknown flag far from any', ['init', '--dir', 'd', '--colour'], 'invalid-flag', /^ca init: unknown flag --colour \(see 'ca init --help'\)$/],
  ['an unknown short flag', ['issue', '-x'], 'invalid-flag', /unknown flag -x/],
  ['a flag of the other subcommand', ['init', '--dir', 'd', '--namespace', 'x'], 'invalid-flag', /unknown flag --namespace/],
  ['a missing --dir', ['init'], 'invalid-flag', /^ca init: --dir is required/],
  ['an empty --dir', ['init', '--dir', ''], 'invalid-flag', /^ca init: --dir is required/],
  ['a flag without its value', ['init', '--dir'], 'invalid-flag', /^ca init: Option '--dir <value>' argument missing$/],
  ['a value for --force', ['init', '--dir', 'd', '--force=yes'], 'invalid-flag', /--force' does not take an argument/],
  ['a positional argument', ['init', '--dir', 'd', 'extra'], 'invalid-flag', /^ca init: unexpected argument "extra": ca init takes flags only \(see 'ca init --help'\)$/],
  ['a value given to a switch', ['init', '--dir', 'd', '--force', 'false'], 'invalid-flag', /^ca init: unexpected argument "false": --force is a switch and takes no value: give --force to turn it on, leave it out for off$/],
  ['fractional days', ['init', '--dir', 'd', '--validity-days', '1.5'], 'invalid-flag', /--validity-days must be a whole number above 0 \(got "1\.5"\)/],
  ['zero days', ['init', '--dir', 'd', '--validity-days', '0'], 'invalid-flag', /--validity-days must be a whole number/],
  ['negative hours', [...issueBase, '--validity-hours=-1'], 'invalid-flag', /--validity-hours must be a whole number above 0 \(got "-1"\)/],
  ['a value that looks like a flag', [...issueBase, '--validity-hours', '-1'], 'invalid-flag', /^ca issue: Option '--validity-hours' argument is ambiguous\. Did you forget/],
  ['a bad trust domain', ['init', '--dir', 'd', '--trust-domain', 'Cluster.Local'], 'invalid-flag', /^ca init: --trust-domain: the trust domain "Cluster\.Local" must be lowercase$/],
  ['a bad issue trust domain', [...issueBase, '--trust-domain', 'a b'], 'invalid-flag', /^ca issue: --trust-domain: /],
  ['a bad namespace', ['issue', '--ca-dir', 'c', '--out', 'o', '--namespace', 'Shop', '--service-account', 'web'], 'invalid-flag', /^ca issue: --namespace: the namespace "Shop"/],
  ['a bad service account', ['issue', '--ca-dir', 'c', '--out', 'o', '--namespace', 'shop', '--service-account', 'my_sa'], 'invalid-flag', /^ca issue: --service-account: the service account "my_sa"/],
  ['a missing --service-account', ['issue', '--ca-dir', 'c', '--out', 'o', '--namespace', 'shop'], 'invalid-flag', /--service-account is required/],
  ['a missing --ca-dir', ['issue', '--out', 'o', '--namespace', 'shop', '--service-account', 'web'], 'invalid-flag', /--ca-dir is required/],
];

for (const [name, argv, kind, message] of refused) {
  test(`parseCaArgs refuses ${name}`, () => {
    assert.throws(() => parseCaArgs(argv), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.kind, kind);
      assert.match(err.message, message);
      return true;
    });
  });
}
