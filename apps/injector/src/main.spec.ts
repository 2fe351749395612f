// The CLI as its users run it: a real process, real files, and openssl to judge the certificates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { copyFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { withTempDir } from '@outrigger/testing';

const MAIN = join(import.meta.dirname, 'main.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function injector(cwd: string, ...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function openssl(cwd: string, ...args: string[]): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function assertFailed(run: Run, code: number, message: RegExp): void {
  assert.equal(run.code, code, `exit code; stderr: ${run.stderr}`);
  assert.match(run.stderr, message);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

test('ca init then ca issue write a CA and a leaf that openssl verifies', async () => {
  await withTempDir(async (dir) => {
    const init = await injector(dir, 'ca', 'init', '--dir', 'ca');
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /^wrote ca\/ca\.key\nwrote ca\/ca\.crt\nCA for trust domain cluster\.local, valid until \d{4}-/);
    assert.equal(await mode(join(dir, 'ca', 'ca.key')), 0o600);
    assert.equal(await mode(join(dir, 'ca')), 0o700);

    const issue = await injector(dir, 'ca', 'issue', '--ca-dir', 'ca', '--out', 'web', '--namespace', 'shop', '--service-account', 'web',
      '--dns', 'web.shop.svc.cluster.local', '--ip', '127.0.0.1', '--validity-hours', '2');
    assert.equal(issue.code, 0, issue.stderr);
    assert.deepEqual(issue.stdout.trim().split('\n').slice(0, 3), ['wrote web/tls.key', 'wrote web/tls.crt', 'wrote web/ca.crt']);
    assert.match(issue.stdout, /\nidentity spiffe:\/\/cluster\.local\/ns\/shop\/sa\/web, valid until /);
    assert.equal(await mode(join(dir, 'web', 'tls.key')), 0o600);
    assert.equal(await readFile(join(dir, 'web', 'ca.crt'), 'utf8'), await readFile(join(dir, 'ca', 'ca.crt'), 'utf8'));

    const san = openssl(join(dir, 'web'), 'x509', '-in', 'tls.crt', '-noout', '-ext', 'subjectAltName');
    assert.match(san, /URI:spiffe:\/\/cluster\.local\/ns\/shop\/sa\/web, DNS:web\.shop\.svc\.cluster\.local, IP Address:127\.0\.0\.1/);
    assert.equal(openssl(join(dir, 'web'), 'verify', '-CAfile', 'ca.crt', 'tls.crt').trim(), 'tls.crt: OK');
    const leaf = new X509Certificate(await readFile(join(dir, 'web', 'tls.crt')));
    assert.ok(leaf.checkPrivateKey(createPrivateKey(await readFile(join(dir, 'web', 'tls.key')))));
    assert.ok(leaf.validToDate.getTime() - Date.now() <= 2 * 3600_000);
  });
});

test('ca init refuses to replace an existing CA unless --force is given', async () => {
  await withTempDir(async (dir) => {
    assert.equal((await injector(dir, 'ca', 'init', '--dir', 'ca')).code, 0);
    const before = await readFile(join(dir, 'ca', 'ca.key'), 'utf8');
    assertFailed(await injector(dir, 'ca', 'init', '--dir', 'ca'), 1, /^ca init: ca\/ca\.crt already exists; pass --force/);
    assert.equal(await readFile(join(dir, 'ca', 'ca.key'), 'utf8'), before);
    const forced = await injector(dir, 'ca', 'init', '--dir', 'ca', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(await readFile(join(dir, 'ca', 'ca.key'), 'utf8'), before);
    assert.equal(await mode(join(dir, 'ca', 'ca.key')), 0o600);
  });
});

test('ca issue takes the trust domain from the CA and refuses a different one', async () => {
  await withTempDir(async (dir) => {
    assert.equal((await injector(dir, 'ca', 'init', '--dir', 'ca', '--trust-domain', 'prod.example')).code, 0);
    const issue = await injector(dir, 'ca', 'issue', '--ca-dir', 'ca', '--out', 'o', '--namespace', 'a', '--service-account', 'b');
    assert.match(issue.stdout, /identity spiffe:\/\/prod\.example\/ns\/a\/sa\/b,/);
    const other = await injector(dir, 'ca', 'issue', '--ca-dir', 'ca', '--out', 'o', '--namespace', 'a', '--service-account', 'b', '--trust-domain', 'cluster.local');
    assertFailed(other, 1, /--trust-domain cluster\.local does not match the trust domain of the CA in ca\/ca\.crt \(prod\.example\)/);
  });
});

test('ca issue names the missing CA file, a mismatched CA key and a bad --ip', async () => {
  await withTempDir(async (dir) => {
    const leafArgs = ['--out', 'o', '--namespace', 'a', '--service-account', 'b'];
    assertFailed(await injector(dir, 'ca', 'issue', '--ca-dir', 'nowhere', ...leafArgs), 1, /cannot read the CA certificate nowhere\/ca\.crt: no such file or directory/);
    assert.equal((await injector(dir, 'ca', 'init', '--dir', 'one')).code, 0);
    assert.equal((await injector(dir, 'ca', 'init', '--dir', 'two')).code, 0);
    assertFailed(await injector(dir, 'ca', 'issue', '--ca-dir', 'one', ...leafArgs, '--ip', '10.0.0.300'), 1, /^ca issue: --ip: "10\.0\.0\.300" is not an IPv4 or IPv6 address/);
    await copyFile(join(dir, 'two', 'ca.key'), join(dir, 'one', 'ca.key'));
    assertFailed(await injector(dir, 'ca', 'issue', '--ca-dir', 'one', ...leafArgs), 1, /^ca issue: one\/ca\.key: the CA private key does not belong to the CA certificate/);
  });
});

test('a mistyped flag exits 1 and names the flag', async () => {
  await withTempDir(async (dir) => {
    const run = await injector(dir, 'ca', 'issue', '--ca-dir', 'ca', '--out', 'o', '--namespace', 'a', '--serviceaccount', 'b');
    assertFailed(run, 1, /^ca issue: unknown flag --serviceaccount \(did you mean --service-account\?\)\n$/);
  });
});

test('an unknown command prints the usage on stderr and exits 2; --help prints it on stdout', async () => {
  await withTempDir(async (dir) => {
    const unknown = await injector(dir, 'sign');
    assertFailed(unknown, 2, /^outrigger-injector: unknown command "sign"\n\nUsage: outrigger-injector <command>/);
    assert.equal(unknown.stdout, '');
    assertFailed(await injector(dir, 'ca', 'rotate'), 2, /^ca: unknown subcommand "rotate"\n\nUsage: outrigger-injector ca/);
    const help = await injector(dir, '--help');
    assert.deepEqual([help.code, help.stderr], [0, '']);
    assert.match(help.stdout, /^Usage: outrigger-injector <command>/);
    const issueHelp = await injector(dir, 'ca', 'issue', '--help');
    assert.equal(issueHelp.code, 0);
    assert.match(issueHelp.stdout, /--service-account SA/);
  });
});
