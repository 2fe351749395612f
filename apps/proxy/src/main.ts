#!/usr/bin/env node
// outrigger-proxy: parse arguments, load and validate the config, start the runtime, handle signals.
// Exit status: 0 after a clean drain, 1 for bad config / identity / ports, 2 for bad arguments.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadProxyConfig, type ProxyConfig } from '@outrigger/config';
import { tlsGroupsProblem } from './tls-groups.ts';
import { createLogger } from '@outrigger/telemetry';
import { IdentityError } from './identity.ts';
import { CaIdentityError } from './identity-source.ts';
import { ListenError, startProxy } from './runtime.ts';
import { watchConfigFile } from './watch-config.ts';

const USAGE = `usage: outrigger-proxy --config FILE [--check]

  --config FILE   the proxy config (YAML); see docs/reference/config.md
  --check         validate the config and the identity files, then exit
`;

async function main(argv: string[]): Promise<number> {
  let values: { config?: string; check?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`outrigger-proxy: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const file = values.config ?? process.env.OUTRIGGER_CONFIG;
  if (!file) {
    process.stderr.write(`outrigger-proxy: --config is required (or set OUTRIGGER_CONFIG)\n${USAGE}`);
    return 2;
  }
  const started = performance.now();
  try {
    // Compared by the config watch, so that a change made before it starts still counts.
    const startedWith = readFileOrEmpty(file);
    const config = loadChecked(file);
    const logger = createLogger({ name: 'proxy', level: config.log.level });
    if (values.check) {
      const { loadIdentityFiles } = await import('./identity.ts');
      if (config.identity?.source === 'files') loadIdentityFiles(config.identity);
      process.stdout.write(`${file}: ok\n`);
      return 0;
    }
    let requestStop = (_signal: string) => {};
    const proxy = await startProxy(config, logger, { onShutdownRequest: () => requestStop('POST /shutdown') });
    const configWatch = watchConfigFile(file, startedWith, {
      pollMs: 5000,
      debounceMs: 200,
      onChange: () => {
        let next;
        try {
          next = loadChecked(file);
        } catch (err) {
          proxy.metrics.configReloads.inc({ component: 'proxy', result: 'invalid' });
          logger.warn({ problems: (err as ConfigError).problems ?? [(err as Error).message] }, 'config reload refused; keeping the config in use');
          return;
        }
        proxy.reload(next).then(
          (plan) => logger.info({ applied: plan.live, restart_required: plan.restartRequired }, plan.restartRequired.length ? 'config reloaded; some changes need a restart' : 'config reloaded'),
          (err: Error) => logger.warn({ err: err.message }, 'config reload failed; keeping the config in use'),
        );
      },
      onError: (err) => logger.warn({ err: err.message }, 'cannot read the config file; keeping the config in use'),
    });
    logger.info(
      {
        listeners: proxy.listeners.map((l) => ({ name: l.name, address: l.address, port: l.port })),
        admin: { address: config.admin.address, port: proxy.admin.port },
        identity: proxy.identity()?.certificate.spiffeId ?? null,
        startup_ms: Math.round(performance.now() - started),
      },
      'ready',
    );
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        configWatch.close();
        const drainMs = proxy.config().timeouts.drain;
        logger.info({ signal, drain_ms: drainMs }, 'draining');
        void proxy.drain(drainMs).then(({ remaining }) => {
          logger.info({ remaining }, 'stopped');
          logger.flush();
          resolve();
        });
      };
      let stopping = false;
      requestStop = (signal) => {
        if (stopping) return;
        stopping = true;
        stop(signal);
      };
      process.once('SIGTERM', () => requestStop('SIGTERM'));
      process.once('SIGINT', () => requestStop('SIGINT'));
    });
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof IdentityError || err instanceof CaIdentityError || err instanceof ListenError) {
      process.stderr.write(`outrigger-proxy: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

function readFileOrEmpty(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0); // loadProxyConfig reports the unreadable file with its reason
  }
}

process.exitCode = await main(process.argv.slice(2));

/** The config file, parsed, with what only this OpenSSL can tell (tls.groups) checked too. */
function loadChecked(file: string): ProxyConfig {
  const config = loadProxyConfig(file);
  const problem = tlsGroupsProblem(config);
  if (problem) throw new ConfigError(file, [problem]);
  return config;
}
