// The bench's peers: wrk, hey, curl, taskset and nginx with its stream module, installed from
// Debian with apt-get when missing (the only step that needs root).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Peers {
  /** stream: the stream module is usable; streamModule: its `load_module` path when dynamic. */
  nginx: { bin: string; version: string; stream: boolean; streamModule: string | null } | null;
  versions: Record<string, string>;
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;

function nginxInfo(): { bin: string; version: string; streamDynamic: boolean; streamStatic: boolean; modulesPath: string } | null {
  const bin = ['nginx', '/usr/sbin/nginx'].find((b) => b.includes('/') ? existsSync(b) : has(b));
  if (!bin) return null;
  const r = spawnSync(bin, ['-V'], { encoding: 'utf8' });
  const text = `${r.stdout}${r.stderr}`;
  return {
    bin,
    version: /nginx version: (\S+)/.exec(text)?.[1] ?? 'unknown',
    streamDynamic: /--with-stream=dynamic/.test(text),
    streamStatic: /--with-stream(\s|$)/.test(text),
    modulesPath: /--modules-path=(\S+)/.exec(text)?.[1] ?? '/usr/lib/nginx/modules',
  };
}

function aptInstall(packages: string[], log: (s: string) => void): void {
  if (packages.length === 0) return;
  const cmd = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (process.getuid?.() !== 0) throw new Error(`missing: ${packages.join(', ')}. Install them (sudo ${cmd}) or run the bench with sudo.`);
  log(`installing from Debian: ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const args = ['install', '-y', '-qq', '--no-install-recommends', ...packages];
  if (spawnSync('apt-get', args, { stdio: 'ignore', env }).status === 0) return;
  // A fresh machine has no package lists yet.
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  const second = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (second.status !== 0) throw new Error(`${cmd} failed`);
}

export function ensurePeers(opts: { install: boolean; log: (s: string) => void }): Peers {
  const missing: string[] = [];
  for (const [cmd, pkg] of [['wrk', 'wrk'], ['hey', 'hey'], ['curl', 'curl'], ['taskset', 'util-linux']] as const) if (!has(cmd)) missing.push(pkg);
  let nginx = nginxInfo();
  if (!nginx) missing.push('nginx', 'libnginx-mod-stream');
  else if (nginx.streamDynamic && !existsSync(`${nginx.modulesPath}/ngx_stream_module.so`)) missing.push('libnginx-mod-stream');
  if (missing.length && opts.install) aptInstall(missing, opts.log);
  for (const cmd of ['wrk', 'curl', 'taskset']) if (!has(cmd)) throw new Error(`${cmd} is required (apt-get install ${cmd === 'taskset' ? 'util-linux' : cmd})`);
  nginx = nginxInfo();
  const streamModule = nginx?.streamDynamic ? `${nginx.modulesPath}/ngx_stream_module.so` : null;
  const streamOk = nginx !== null && (nginx.streamStatic || (streamModule !== null && existsSync(streamModule)));
  if (nginx && !streamOk) opts.log('nginx has no stream module: the nginx stream pair is skipped (apt-get install libnginx-mod-stream)');
  const version = (cmd: string, args: string[], re: RegExp) => {
    try {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      return re.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
    } catch {
      return 'unknown';
    }
  };
  return {
    nginx: nginx ? { bin: nginx.bin, version: nginx.version, stream: streamOk, streamModule: streamOk ? streamModule : null } : null,
    versions: {
      wrk: version('wrk', ['-v'], /wrk (\S+)/),
      hey: has('hey') ? dpkgVersion('hey') : 'not installed',
      curl: version('curl', ['--version'], /curl (\S+)/),
      nginx: nginx?.version ?? 'not installed',
      openssl: version('openssl', ['version'], /OpenSSL (\S+)/),
    },
  };
}

function dpkgVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** True when the nginx topologies can run: nginx present, and for the stream pair its module. */
export function nginxCan(peers: Peers, layer: 'http' | 'stream'): boolean {
  return peers.nginx !== null && (layer === 'http' || peers.nginx.stream);
}
