// `manifests`: prints the install as multi-document YAML. The CA comes from --ca-dir (made once with
// `ca init`, so re-rendering keeps it) or is made fresh, which a second run would replace: said on
// standard error, since re-applying a new CA cuts every running proxy off from the signer.
import { createCa, validateSpiffeId } from '@outrigger/pki';
import { DEFAULT_IMAGE, defaultMeshConfig } from '@outrigger/inject';
import { Document, stringify } from 'yaml';
import { loadCaDir } from './ca-command.ts';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { parseFlags, positiveInteger } from './flags.ts';
import { INJECT_FLAGS, readInjectSettings } from './inject-flags.ts';
import { checkRendered, loadMeshConfig } from './mesh-config.ts';
import { FAILURE_POLICY_COMMENT, renderManifests, type KubeObject } from './render-manifests.ts';
import { MANIFESTS_USAGE } from './usage.ts';

const CMD = 'manifests';
const CIDR = /^([0-9.]+\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;

export async function runManifests(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(CMD, argv, {
    ...INJECT_FLAGS,
    'ca-dir': { type: 'string' },
    namespace: { type: 'string' },
    'trust-domain': { type: 'string' },
    'mesh-network': { type: 'string', multiple: true },
    replicas: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    io.out(MANIFESTS_USAGE);
    return 0;
  }
  const settings = readInjectSettings(CMD, flags);
  const namespace = flags.namespace ?? 'outrigger-system';
  const invalid = (message: string): never => {
    throw new CliError('invalid-flag', `${CMD}: ${message}`);
  };
  const nsProblem = validateSpiffeId({ trustDomain: 'cluster.local', namespace, serviceAccount: 'default' });
  if (nsProblem !== undefined) invalid(`--namespace: ${nsProblem}`);
  for (const cidr of flags['mesh-network'] ?? []) if (!CIDR.test(cidr)) invalid(`--mesh-network ${JSON.stringify(cidr)} is not a CIDR like 10.244.0.0/16`);
  if (settings.meshConfigFile !== undefined && (flags['mesh-network'] !== undefined || flags['trust-domain'] !== undefined)) {
    invalid('--mesh-network and --trust-domain shape the built-in mesh config; with --mesh-config, write them into that file');
  }

  let ca: { certPem: string; keyPem: string };
  let trustDomain = flags['trust-domain'];
  if (flags['ca-dir'] !== undefined) {
    const loaded = await loadCaDir(CMD, flags['ca-dir'], trustDomain);
    ca = loaded.ca;
    trustDomain = loaded.trustDomain;
  } else {
    trustDomain ??= 'cluster.local';
    ca = createCa({ trustDomain });
    io.err(`${CMD}: made a new mesh CA for ${trustDomain}; applying it again later replaces it and cuts running proxies off from the signer: keep one with 'outrigger-injector ca init --dir DIR' and pass --ca-dir DIR`);
  }

  let meshConfigYaml: string;
  if (settings.meshConfigFile !== undefined) {
    // loadMeshConfig refuses a config the proxy would refuse.
    meshConfigYaml = stringify(await loadMeshConfig(CMD, settings.meshConfigFile));
  } else {
    const mesh = defaultMeshConfig({ namespace, trustDomain });
    mesh.mesh = { trustDomain, networks: flags['mesh-network'] ?? [] };
    const problems = checkRendered(mesh);
    if (problems.length > 0) invalid(`the mesh config would be refused by the proxy: ${problems.join('; ')}`);
    meshConfigYaml = stringify(mesh);
  }

  const objects = renderManifests({
    namespace,
    image: settings.image ?? DEFAULT_IMAGE,
    imagePullPolicy: settings.imagePullPolicy,
    sidecar: settings.sidecar,
    ipv6: settings.ipv6,
    replicas: positiveInteger(CMD, 'replicas', flags.replicas, 2),
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    meshConfigYaml,
  });
  io.out(renderYaml(objects));
  return 0;
}

export function renderYaml(objects: readonly KubeObject[]): string {
  return objects.map((object) => {
    const doc = new Document(object);
    if (object.kind === 'MutatingWebhookConfiguration') doc.commentBefore = FAILURE_POLICY_COMMENT;
    return `---\n${doc.toString({ lineWidth: 0 })}`;
  }).join('').replace(/\n$/, '');
}
