// The mesh config (the mesh ConfigMap's proxy.yaml): read, and checked the way the proxy will check
// what is made of it. A bad key there would otherwise surface as every new pod's proxy failing to
// start; here it stops the injector with a message naming the key.
import { readFile } from 'node:fs/promises';
import { parseProxyConfig } from '@outrigger/config';
import { ANNOTATIONS, defaultInjectConfig, injectPod, INJECT_LABEL, type PodLike } from '@outrigger/inject';
import { parse } from 'yaml';
import { CliError } from './cli-error.ts';
import { fileProblem } from './explain.ts';

export async function loadMeshConfig(cmd: string, file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fileProblem(cmd, `cannot read the mesh config ${file}`, err);
  }
  const result = parseMeshConfig(text);
  if (!result.ok) throw new CliError('invalid-flag', `${cmd}: invalid mesh config ${file}:\n  ${result.problems.join('\n  ')}`);
  return result.mesh;
}

export type MeshConfigParse = { ok: true; mesh: Record<string, unknown> } | { ok: false; problems: string[] };

/** The text as a mapping, accepted only if the config it makes for a pod is one the proxy accepts. */
export function parseMeshConfig(text: string): MeshConfigParse {
  let mesh: unknown;
  try {
    mesh = parse(text) ?? {};
  } catch (err) {
    return { ok: false, problems: [`YAML syntax: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (typeof mesh !== 'object' || mesh === null || Array.isArray(mesh)) return { ok: false, problems: ['(top level): the mesh config must be a mapping of proxy config keys'] };
  const problems = checkRendered(mesh as Record<string, unknown>);
  return problems.length === 0 ? { ok: true, mesh: mesh as Record<string, unknown> } : { ok: false, problems };
}

/** The problems the proxy would report for the config of a plain pod made from this mesh config. */
export function checkRendered(mesh: Record<string, unknown>): string[] {
  const config = { ...defaultInjectConfig(''), meshConfig: mesh };
  const probe: PodLike = { metadata: { name: 'probe' }, spec: { containers: [{ name: 'app', image: 'app' }] } };
  const { pod } = injectPod(probe, { namespace: 'default', namespaceLabels: { [INJECT_LABEL]: 'enabled' }, config });
  const rendered = pod.metadata?.annotations?.[ANNOTATIONS.proxyConfig] ?? '';
  // What the downward API gives the proxy in a pod.
  const env = { OUTRIGGER_NAMESPACE: 'default', OUTRIGGER_SERVICE_ACCOUNT: 'default', OUTRIGGER_POD_IP: '10.0.0.1' };
  const parsed = parseProxyConfig(rendered, env);
  return parsed.ok ? [] : parsed.problems;
}
