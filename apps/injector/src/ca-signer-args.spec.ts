// `ca-signer` flags: the in-cluster defaults, the API server from the environment, listen addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCaSignerArgs, parseListen } from './ca-signer-args.ts';
import { CliError } from './cli-error.ts';

const inPod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

test('defaults suit a Pod in outrigger-system', () => {
  assert.deepEqual(parseCaSignerArgs(['--ca-dir', '/etc/outrigger/ca'], inPod), {
    kind: 'run',
    options: {
      caDir: '/etc/outrigger/ca',
      host: '0.0.0.0',
      port: 15012,
      tlsFiles: undefined,
      trustDomain: undefined,
      namespace: 'outrigger-system',
      serviceAccount: 'outrigger-injector',
      dnsNames: ['outrigger-ca.outrigger-system.svc'],
      ipAddresses: [],
      kubeApi: 'https://10.96.0.1',
      kubeTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      kubeCaFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
      audience: 'outrigger',
      validitySeconds: 24 * 3600,
    },
  });
});

test('the API server address comes from the environment, bracketed when IPv6', () => {
  const api = (env: NodeJS.ProcessEnv) => {
    const parsed = parseCaSignerArgs(['--ca-dir', 'ca'], env);
    return parsed.kind === 'run' ? parsed.options.kubeApi : '';
  };
  assert.equal(api({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }), 'https://[fd00::1]:6443');
  assert.equal(api({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }), 'https://10.0.0.1');
  const flag = parseCaSignerArgs(['--ca-dir', 'ca', '--kube-api', 'https://api.example:6443/'], {});
  assert.equal(flag.kind === 'run' ? flag.options.kubeApi : '', 'https://api.example:6443');
});

test('listen addresses: IPv4, IPv6 in brackets, port 0; anything else names the flag', () => {
  assert.deepEqual(parseListen('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListen('[::]:15012'), { host: '::', port: 15012 });
  for (const bad of ['15012', ':::15012', '0.0.0.0:99999', 'host:port', '[::1]']) {
    assert.throws(() => parseListen(bad), (err: unknown) => err instanceof CliError && /--listen must be ADDRESS:PORT/.test(err.message), bad);
  }
});

test('--validity-seconds replaces --validity-hours, within the same one-week bound', () => {
  const run = parseCaSignerArgs(['--ca-dir', 'ca', '--validity-seconds', '10'], inPod);
  assert.equal(run.kind === 'run' ? run.options.validitySeconds : 0, 10);
  assert.throws(() => parseCaSignerArgs(['--ca-dir', 'ca', '--validity-seconds', '604801'], inPod), /at most 168 hours/);
  assert.throws(() => parseCaSignerArgs(['--ca-dir', 'ca', '--validity-seconds', '1', '--validity-hours', '1'], inPod), /alternatives/);
});
