// `webhook`: the admission webhook (HTTPS, 9443) and the CA signer (HTTPS, 15012) in one process,
// as the injector Deployment runs them. Both serve one certificate issued from the mesh CA, whose
// certificate is also the webhook's caBundle and every pod's outrigger.io/ca-bundle. The mesh
// config file is polled, so an edited ConfigMap applies to the next pod without a restart.
import { readFile } from 'node:fs/promises';
import { defaultMeshConfig, type InjectConfig } from '@outrigger/inject';
import { createLogger } from '@outrigger/telemetry';
import pino from 'pino';
import { startCaSigner, waitForSignal } from './ca-signer-command.ts';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { toInjectConfig } from './inject-flags.ts';
import { loadMeshConfig, parseMeshConfig } from './mesh-config.ts';
import { parseWebhookArgs } from './webhook-args.ts';
import { createWebhookMetrics } from './webhook-metrics.ts';
import { startWebhookServer, WEBHOOK_PATH, type RunningWebhook, type WebhookRecord } from './webhook-server.ts';

const CMD = 'webhook';
const MESH_POLL_MS = 10_000; // the kubelet itself takes up to a minute to update a ConfigMap volume

export async function runWebhook(argv: string[], io: CliIo): Promise<number> {
  const command = parseWebhookArgs(argv, process.env);
  if (command.kind === 'help') {
    io.out(command.text);
    return 0;
  }
  const opts = command.options;
  const meshFile = opts.inject.meshConfigFile;
  const mesh = meshFile === undefined ? undefined : await loadMeshConfig(CMD, meshFile);
  // One stream for both loggers, so their lines never interleave mid-line.
  const stderr = pino.destination({ fd: 2, sync: false });
  const logger = createLogger({ name: 'webhook', destination: stderr });
  const signer = await startCaSigner(CMD, opts.signer, createLogger({ name: 'ca-signer', destination: stderr }));
  // Without --mesh-config, the built-in one `manifests` would install beside this webhook: the signer's namespace and trust domain.
  const builtIn = defaultMeshConfig({ namespace: opts.signer.namespace, trustDomain: signer.trustDomain });
  let config: InjectConfig = toInjectConfig(opts.inject, mesh ?? builtIn, signer.ca.certPem, opts.signer.namespace);
  const log = (record: WebhookRecord) => (record.status >= 500 || record.result === 'error' ? logger.error(record, 'request') : logger.info(record, 'request'));
  let webhook: RunningWebhook;
  try {
    webhook = await startWebhookServer({ host: opts.host, port: opts.port, tls: signer.tls, config: () => config, metrics: createWebhookMetrics(), log });
  } catch (err) {
    await signer.stop();
    throw new CliError('refused', `${CMD}: cannot listen on ${opts.host}:${opts.port} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  signer.onRefresh(webhook.setServingCertificate);

  let meshText = meshFile === undefined ? '' : await readFile(meshFile, 'utf8').catch(() => '');
  const poll = setInterval(() => {
    if (meshFile === undefined) return;
    readFile(meshFile, 'utf8').then((text) => {
      if (text === meshText) return;
      meshText = text;
      const parsed = parseMeshConfig(text);
      if (!parsed.ok) return logger.error({ file: meshFile, problems: parsed.problems }, 'mesh config refused; new pods keep getting the last good one');
      config = toInjectConfig(opts.inject, parsed.mesh, signer.ca.certPem, opts.signer.namespace);
      logger.info({ file: meshFile }, 'mesh config reloaded');
    }, (err: unknown) => logger.error({ file: meshFile, err: (err as Error).message }, 'mesh config unreadable; keeping the last good one'));
  }, MESH_POLL_MS);
  poll.unref();
  logger.info({ address: webhook.address, port: webhook.port, path: WEBHOOK_PATH, sidecar: config.sidecar, image: config.image, mesh_config: meshFile ?? 'built-in' }, 'listening');

  const signal = await waitForSignal();
  clearInterval(poll);
  await Promise.all([webhook.close(), signer.stop()]);
  logger.info({ signal }, 'stopped');
  logger.flush();
  return 0;
}
