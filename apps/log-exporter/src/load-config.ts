// Reads the config file: parse and validate (parse-config.ts), resolve relative paths against the
// file's folder, and read the TLS files, naming the key and the file in every problem.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { ExporterConfig, TlsConfig } from './config-schema.ts';
import { parseExporterConfig } from './parse-config.ts';

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

export interface LoadedConfig {
  readonly config: ExporterConfig;
  /** TLS options for the sink, with the PEM files read; undefined without a tls: section. */
  readonly tls: ConnectionOptions | undefined;
}

export function loadExporterConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the config file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  const parsed = parseExporterConfig(text);
  if (!parsed.ok) throw new ConfigError(file, parsed.problems);
  const config = parsed.config;
  const base = dirname(resolve(file));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  config.files.paths = config.files.paths.map(at);
  config.positions.file = at(config.positions.file);
  config.deadLetter.file = at(config.deadLetter.file);
  const problems: string[] = [];
  const sinkTls = 'tls' in config.sink ? config.sink.tls : undefined;
  const tls = sinkTls ? readTls(sinkTls, at, problems) : undefined;
  if (problems.length) throw new ConfigError(file, problems);
  return { config, tls };
}

function readTls(t: TlsConfig, at: (p: string) => string, problems: string[]): ConnectionOptions {
  const read = (key: keyof TlsConfig, path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(at(path));
    } catch (err) {
      problems.push(`sink.tls.${key}: cannot read ${at(path)} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return undefined;
    }
  };
  if ((t.certFile === undefined) !== (t.keyFile === undefined)) problems.push('sink.tls: certFile and keyFile go together (a client certificate needs its key)');
  const options: ConnectionOptions = { rejectUnauthorized: !t.insecureSkipVerify };
  const ca = read('caFile', t.caFile);
  const cert = read('certFile', t.certFile);
  const key = read('keyFile', t.keyFile);
  if (ca) options.ca = ca;
  if (cert) options.cert = cert;
  if (key) options.key = key;
  if (t.serverName) options.servername = t.serverName;
  return options;
}
