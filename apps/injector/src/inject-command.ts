// `inject -f FILE|-`: manual injection for clusters without the webhook. Reads the YAML (a file or
// standard input), writes it injected to standard output, and says on standard error what became
// of each workload, so `inject -f app.yaml | kubectl apply -f -` shows both.
import { readFile } from 'node:fs/promises';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { fileProblem } from './explain.ts';
import { parseFlags } from './flags.ts';
import { INJECT_FLAGS, readInjectSettings, toInjectConfig } from './inject-flags.ts';
import { injectYaml } from './inject-yaml.ts';
import { loadMeshConfig } from './mesh-config.ts';
import { INJECT_USAGE } from './usage.ts';

const CMD = 'inject';

export async function runInject(argv: string[], io: CliIo, stdin: () => Promise<string> = readStdin): Promise<number> {
  const flags = parseFlags(CMD, argv, {
    ...INJECT_FLAGS,
    filename: { type: 'string', short: 'f' },
    'ca-bundle': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    io.out(INJECT_USAGE);
    return 0;
  }
  const settings = readInjectSettings(CMD, flags);
  const file = flags.filename;
  if (file === undefined) throw new CliError('invalid-flag', `${CMD}: -f FILE is required (- for standard input; see '${CMD} --help')`);
  const caFile = flags['ca-bundle'];
  if (caFile === undefined) {
    throw new CliError('invalid-flag', `${CMD}: --ca-bundle FILE is required: the mesh CA certificate, e.g. from kubectl -n outrigger-system get secret outrigger-ca -o jsonpath='{.data.ca\\.crt}' | base64 -d`);
  }
  const caBundle = await readText(caFile, 'the CA bundle');
  if (!caBundle.includes('-----BEGIN CERTIFICATE-----')) throw new CliError('invalid-flag', `${CMD}: ${caFile} holds no PEM certificate`);
  const mesh = settings.meshConfigFile === undefined ? undefined : await loadMeshConfig(CMD, settings.meshConfigFile);
  const text = file === '-' ? await stdin() : await readText(file, 'the input');
  const result = injectYaml(text, toInjectConfig(settings, mesh, caBundle));
  if (!result.ok) {
    const what = result.invalid === 'yaml' ? 'is not valid YAML' : 'holds workloads Kubernetes would refuse; nothing was written';
    throw new CliError('invalid-flag', `${CMD}: ${file === '-' ? 'standard input' : file} ${what}:\n  ${result.problems.join('\n  ')}`);
  }
  io.out(result.yaml.replace(/\n$/, ''));
  for (const { what, decision } of result.reports) {
    io.err(decision.kind === 'injected' ? `${CMD}: ${what}: injected (${decision.sidecar} sidecar)` : `${CMD}: ${what}: not injected: ${decision.message}`);
    for (const warning of decision.warnings) io.err(`${CMD}: ${what}: warning: ${warning}`);
  }
  return 0;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw fileProblem(CMD, `cannot read ${what} ${path}`, err);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
