// `ca-signer`: the mesh CA as a service (DESIGN section 4). Reads the CA, gets a serving certificate,
// binds the TokenReview client to the API server, listens, and runs until SIGTERM or SIGINT.
// startCaSigner is also how `webhook` runs the signer beside the admission webhook.
import { readFile } from 'node:fs/promises';
import { formatSpiffeId, issueLeaf, type CertificateBundle } from '@outrigger/pki';
import { createLogger, type Logger } from '@outrigger/telemetry';
import { parseCaSignerArgs, type CaSignerOptions } from './ca-signer-args.ts';
import { startSignerServer, type RequestRecord, type RunningSigner } from './ca-signer-server.ts';
import { loadCaDir } from './ca-command.ts';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { explainPki, fileProblem } from './explain.ts';
import { createTokenReviewVerifier } from './token-review.ts';

const CMD = 'ca-signer';
const HOUR_MS = 3600_000;
// A serving certificate made here lives a day and is replaced at half-life; one from files is
// re-read hourly, since cert-manager and the like rewrite it in place.
const SELF_ISSUED_HOURS = 24;

export async function runCaSigner(argv: string[], io: CliIo): Promise<number> {
  const command = parseCaSignerArgs(argv, process.env);
  if (command.kind === 'help') {
    io.out(command.text);
    return 0;
  }
  const logger = createLogger({ name: CMD });
  const running = await startCaSigner(CMD, command.options, logger);
  const signal = await waitForSignal();
  await running.stop();
  logger.info({ signal }, 'stopped');
  logger.flush();
  return 0;
}

export interface RunningCaSigner {
  signer: RunningSigner;
  ca: CertificateBundle;
  trustDomain: string;
  /** The serving certificate in use; `webhook` serves its own port with the same one. */
  tls: { cert: string; key: string };
  /** Called with each refreshed serving certificate (the signer's own server is already updated). */
  onRefresh(fn: (tls: { cert: string; key: string }) => void): void;
  stop(): Promise<void>;
}

/** Reads the CA, gets a serving certificate, binds the TokenReview client, listens, keeps the certificate fresh. */
export async function startCaSigner(cmd: string, opts: CaSignerOptions, logger: Logger): Promise<RunningCaSigner> {
  const { ca, trustDomain, files } = await loadCaDir(cmd, opts.caDir, opts.trustDomain);
  const self = { trustDomain, namespace: opts.namespace, serviceAccount: opts.serviceAccount };
  // Issued even when --tls-cert is given: it proves at start that the CA can sign (key matches, not expired).
  const issueServing = () => explainPki(cmd, files, () =>
    issueLeaf({ ca, identity: self, dnsNames: opts.dnsNames, ipAddresses: opts.ipAddresses, validityHours: SELF_ISSUED_HOURS }));
  const issued = issueServing();
  const serving = async (): Promise<{ cert: string; key: string }> => {
    if (opts.tlsFiles === undefined) return toTls(issueServing());
    return { cert: await readOrFail(cmd, opts.tlsFiles.cert, 'serving certificate'), key: await readOrFail(cmd, opts.tlsFiles.key, 'serving key') };
  };
  const tls = opts.tlsFiles === undefined ? toTls(issued) : await serving();

  const log = (record: RequestRecord) => (record.status >= 500 ? logger.error(record, 'request') : logger.info(record, 'request'));
  const verifier = createTokenReviewVerifier({ apiUrl: opts.kubeApi, tokenFile: opts.kubeTokenFile, caFile: opts.kubeCaFile, audience: opts.audience });
  let signer: RunningSigner;
  try {
    signer = await startSignerServer({ ca, caBundlePem: ca.certPem, trustDomain, verifier, validitySeconds: opts.validitySeconds, log, host: opts.host, port: opts.port, tls });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === undefined || !e.syscall) throw fromTlsError(cmd, err, opts);
    throw new CliError('refused', `${cmd}: cannot listen on ${opts.host}:${opts.port} (${e.code})`, { cause: err });
  }
  const listeners: Array<(tls: { cert: string; key: string }) => void> = [];
  const refresh = setInterval(() => {
    serving().then((next) => {
      signer.setServingCertificate(next);
      for (const fn of listeners) fn(next);
    }, (err: unknown) => logger.error({ err: (err as Error).message }, 'serving certificate refresh failed; keeping the one in use'));
  }, opts.tlsFiles === undefined ? (SELF_ISSUED_HOURS / 2) * HOUR_MS : HOUR_MS);
  logger.info({
    address: signer.address,
    port: signer.port,
    trust_domain: trustDomain,
    // With --tls-cert the certificate served is the operator's: name its file, not our own identity.
    ...(opts.tlsFiles === undefined ? { serving_identity: formatSpiffeId(self) } : { serving_cert: opts.tlsFiles.cert }),
    kube_api: opts.kubeApi,
    audience: opts.audience,
    validity_seconds: opts.validitySeconds,
  }, 'listening');
  return {
    signer,
    ca,
    trustDomain,
    tls,
    onRefresh: (fn) => listeners.push(fn),
    stop: async () => {
      clearInterval(refresh);
      await signer.close();
    },
  };
}

export function waitForSignal(): Promise<string> {
  return new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

function toTls(bundle: CertificateBundle): { cert: string; key: string } {
  return { cert: bundle.certPem, key: bundle.keyPem };
}

async function readOrFail(cmd: string, path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw fileProblem(cmd, `cannot read the ${what} ${path}`, err);
  }
}

function fromTlsError(cmd: string, err: unknown, opts: CaSignerOptions): CliError {
  const where = opts.tlsFiles === undefined ? 'the serving certificate' : `${opts.tlsFiles.cert} and ${opts.tlsFiles.key}`;
  return new CliError('invalid-flag', `${cmd}: TLS rejected ${where}: ${(err as Error).message}`, { cause: err });
}
