// The real outrigger-log-exporter as a child process for integration tests and the benchmark: its
// config written to a file, its admin port read from the "ready" line, its metrics scraped, and
// its memory read from /proc/<pid>/status. Stopped or killed by its own PID only.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const MAIN = resolve(import.meta.dirname, '..', 'main.ts');
/** The Node flags main.ts's shebang runs it with: tests run it exactly as the installed binary runs. */
export const NODE_FLAGS = (/^#!\/usr\/bin\/env -S node(.*)$/m.exec(readFileSync(MAIN, 'utf8').split('\n')[0] ?? '')?.[1] ?? '').trim().split(/\s+/).filter(Boolean);

export interface ExporterProcess {
  readonly child: ChildProcess;
  readonly adminPort: number;
  stderr(): string;
  /** Samples of one metric (the sum over its series). */
  metric(name: string): Promise<number>;
  /** VmRSS of the process in bytes. */
  rss(): number;
  /** SIGTERM and wait: the clean shutdown path. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: the crash path. */
  kill(): Promise<void>;
}

export async function startExporterProcess(configFile: string, yaml: string): Promise<ExporterProcess> {
  writeFileSync(configFile, yaml);
  const child = spawn(process.execPath, [...NODE_FLAGS, MAIN, '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 10_000;
  let adminPort = 0;
  while (!adminPort) {
    const ready = err.split('\n').find((l) => l.includes('"msg":"ready"'));
    if (ready) adminPort = (JSON.parse(ready) as { admin: { port: number } }).admin.port;
    else if (child.exitCode !== null) throw new Error(`the exporter exited with ${child.exitCode}:\n${err}`);
    else if (Date.now() > deadline) throw new Error(`the exporter was not ready within 10 s:\n${err}`);
    else await new Promise((r) => setTimeout(r, 20));
  }
  return {
    child,
    adminPort,
    stderr: () => err,
    async metric(name) {
      const body = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      let sum = 0;
      for (const line of body.split('\n')) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').at(-1));
      return sum;
    },
    rss() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A config for tests: fast timers, loopback admin on a free port; the sink section is given. */
export function testConfig(dir: string, sink: string, more = ''): string {
  return `files:
  paths: ["${dir}/logs/access.log*"]
  pollInterval: 50ms
  rotateWait: 1s
positions: { file: ${dir}/state/positions.json, interval: 100ms }
deadLetter: { file: ${dir}/state/dead-letter.ndjson }
batch: { maxWait: 50ms }
retry: { initialDelay: 100ms, maxDelay: 1s }
admin: { address: 127.0.0.1, port: 0 }
shutdown: { timeout: 5s }
log: { level: info }
sink:
${sink}
${more}`;
}
