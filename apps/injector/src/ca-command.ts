// `ca init` and `ca issue`: the file-writing half of the mesh CA. The certificates themselves come
// from @outrigger/pki; this file reads and writes the PEM files and explains what went wrong.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCa, describeCertificate, formatSpiffeId, issueLeaf, type CertificateBundle } from '@outrigger/pki';
import { DEFAULT_TRUST_DOMAIN, parseCaArgs, type CaInitOptions, type CaIssueOptions } from './ca-args.ts';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { makeDirectory, writeFileAtomic } from './atomic-file.ts';
import { explainPki, fileProblem } from './explain.ts';

const PUBLIC = 0o644;
const SECRET = 0o600;

export async function runCa(argv: string[], io: CliIo): Promise<number> {
  const command = parseCaArgs(argv);
  if (command.kind === 'help') io.out(command.text);
  else if (command.kind === 'init') await applyCaInit(command.options, io);
  else await applyCaIssue(command.options, io);
  return 0;
}

export async function applyCaInit(opts: CaInitOptions, io: CliIo): Promise<void> {
  const cmd = 'ca init';
  const certPath = join(opts.dir, 'ca.crt');
  const keyPath = join(opts.dir, 'ca.key');
  if (!opts.force) {
    for (const path of [certPath, keyPath]) {
      if (await exists(path)) {
        throw new CliError('refused', `${cmd}: ${path} already exists; pass --force to replace the CA (certificates it issued will no longer be trusted)`);
      }
    }
  }
  const ca = createCa({ trustDomain: opts.trustDomain, validityDays: opts.validityDays });
  await writeFiles(cmd, opts.dir, 0o700, [
    { path: keyPath, data: ca.keyPem, mode: SECRET },
    { path: certPath, data: ca.certPem, mode: PUBLIC },
  ], opts.force, io);
  io.out(`CA for trust domain ${opts.trustDomain}, valid until ${describeCertificate(ca.certPem).notAfter.toISOString()}`);
}

export async function applyCaIssue(opts: CaIssueOptions, io: CliIo): Promise<void> {
  const cmd = 'ca issue';
  const { ca, trustDomain, files } = await loadCaDir(cmd, opts.caDir, opts.trustDomain);
  const identity = { trustDomain, namespace: opts.namespace, serviceAccount: opts.serviceAccount };

  const leaf = explainPki(cmd, files, () =>
    issueLeaf({ ca, identity, dnsNames: opts.dnsNames, ipAddresses: opts.ipAddresses, validityHours: opts.validityHours }),
  );
  await writeFiles(cmd, opts.out, undefined, [
    { path: join(opts.out, 'tls.key'), data: leaf.keyPem, mode: SECRET },
    { path: join(opts.out, 'tls.crt'), data: leaf.certPem, mode: PUBLIC },
    { path: join(opts.out, 'ca.crt'), data: ca.certPem, mode: PUBLIC },
  ], true, io);
  io.out(`identity ${formatSpiffeId(identity)}, valid until ${describeCertificate(leaf.certPem).notAfter.toISOString()}`);
}

/** Reads DIR/ca.crt and DIR/ca.key, and the trust domain: the flag's, which must then match the CA's, or the CA's. */
export async function loadCaDir(cmd: string, caDir: string, trustDomainFlag: string | undefined): Promise<{ ca: CertificateBundle; trustDomain: string; files: { cert: string; key: string } }> {
  const files = { cert: join(caDir, 'ca.crt'), key: join(caDir, 'ca.key') };
  const certPem = await readCaFile(cmd, files.cert, 'CA certificate', caDir);
  const keyPem = await readCaFile(cmd, files.key, 'CA key', caDir);
  // createCa names the trust domain in a URI SAN 'spiffe://<td>'; other CAs may not.
  const caUris = explainPki(cmd, files, () => describeCertificate(certPem).uris);
  const caTrustDomain = caUris.find((u) => /^spiffe:\/\/[^/]+$/.test(u))?.slice('spiffe://'.length);
  if (trustDomainFlag !== undefined && caTrustDomain !== undefined && trustDomainFlag !== caTrustDomain) {
    throw new CliError('invalid-flag', `${cmd}: --trust-domain ${trustDomainFlag} does not match the trust domain of the CA in ${files.cert} (${caTrustDomain})`);
  }
  return { ca: { certPem, keyPem }, trustDomain: trustDomainFlag ?? caTrustDomain ?? DEFAULT_TRUST_DOMAIN, files };
}

async function writeFiles(
  cmd: string,
  dir: string,
  dirMode: number | undefined,
  files: Array<{ path: string; data: string; mode: number }>,
  overwrite: boolean,
  io: CliIo,
): Promise<void> {
  try {
    await makeDirectory(dir, dirMode);
  } catch (err) {
    throw fileProblem(cmd, `cannot create the directory ${dir}`, err);
  }
  for (const file of files) {
    try {
      await writeFileAtomic(file.path, file.data, { mode: file.mode, overwrite });
    } catch (err) {
      throw fileProblem(cmd, `cannot write ${file.path}`, err);
    }
    io.out(`wrote ${file.path}`);
  }
}

async function readCaFile(cmd: string, path: string, what: string, caDir: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ` (create the CA first: outrigger-injector ca init --dir ${caDir})` : '';
    throw fileProblem(cmd, `cannot read the ${what} ${path}`, err, hint);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
