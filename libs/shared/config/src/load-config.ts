// Reads a proxy config file from disk: parse and validate (parse-config.ts), then resolve file
// paths against the config file's folder and check each one can be read, naming key and file.
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseProxyConfig } from './parse-config.ts';
import type { ProxyConfig } from './schema.ts';

export class ConfigError extends Error {
  readonly problems: string[];
  readonly file: string;
  constructor(file: string, problems: string[]) {
    super(`invalid config ${file}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

export function loadProxyConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): ProxyConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the config file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  const parsed = parseProxyConfig(text, env);
  if (!parsed.ok) throw new ConfigError(file, parsed.problems);
  const config = parsed.config;
  const base = dirname(resolve(file));
  const problems: string[] = [];
  const checkReadable = (key: string, path: string): string => {
    const absolute = resolve(base, path);
    try {
      accessSync(absolute, constants.R_OK);
    } catch (err) {
      problems.push(`${key}: cannot read ${absolute} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    return absolute;
  };
  if (config.identity?.source === 'files') {
    config.identity.certFile = checkReadable('identity.certFile', config.identity.certFile);
    config.identity.keyFile = checkReadable('identity.keyFile', config.identity.keyFile);
    if (config.identity.trustBundleFile) config.identity.trustBundleFile = checkReadable('identity.trustBundleFile', config.identity.trustBundleFile);
  } else if (config.identity?.source === 'ca') {
    // The token and the signer's CA are mounted by the kubelet; they may appear a moment after start.
    config.identity.tokenFile = resolve(base, config.identity.tokenFile);
    config.identity.caBundleFile = resolve(base, config.identity.caBundleFile);
  }
  if (config.accessLog.file) config.accessLog.file = resolve(base, config.accessLog.file);
  if (problems.length) throw new ConfigError(file, problems);
  return config;
}
