// `webhook` arguments: the webhook's own (where it listens), the injection flags (inject-flags.ts)
// and the CA signer's (ca-signer-args.ts), since the signer runs in the same process.
import { parseListen, readSignerOptions, SIGNER_FLAGS, type CaSignerOptions } from './ca-signer-args.ts';
import { parseFlags } from './flags.ts';
import { INJECT_FLAGS, readInjectSettings, type InjectSettings } from './inject-flags.ts';
import { WEBHOOK_USAGE } from './usage.ts';

export interface WebhookCommandOptions {
  host: string;
  port: number;
  inject: InjectSettings;
  signer: CaSignerOptions;
}

export type WebhookCommand = { kind: 'help'; text: string } | { kind: 'run'; options: WebhookCommandOptions };

const COMMAND = 'webhook';

export function parseWebhookArgs(argv: string[], env: NodeJS.ProcessEnv): WebhookCommand {
  const flags = parseFlags(COMMAND, argv, {
    ...SIGNER_FLAGS,
    ...INJECT_FLAGS,
    listen: { type: 'string' },
    'signer-listen': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) return { kind: 'help', text: WEBHOOK_USAGE };
  const listen = parseListen(flags.listen ?? '0.0.0.0:9443', COMMAND);
  const namespace = flags.namespace ?? 'outrigger-system';
  // One serving certificate for both ports: the API server calls the webhook by its Service name,
  // proxies call the signer by its own.
  const dnsNames = [`outrigger-injector.${namespace}.svc`, `outrigger-ca.${namespace}.svc`];
  const signer = readSignerOptions(COMMAND, flags, env, { listen: flags['signer-listen'] ?? '0.0.0.0:15012', listenFlag: '--signer-listen', dnsNames });
  return { kind: 'run', options: { ...listen, inject: readInjectSettings(COMMAND, flags), signer } };
}
