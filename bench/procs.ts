// The child processes of one bench run: each started pinned to a CPU with taskset, tracked by its
// PID, and stopped by that PID on every exit path (normal end, error, Ctrl-C); plus the /proc
// readings the report needs (CPU ticks, RSS).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

export interface Proc {
  name: string;
  pid: number;
  /** stdout and stderr of the process, both written here (the file is truncated at start). */
  logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

// taskset execs the command, so the PID we get is the process itself, not a wrapper.
const pinned = (cpu: number, cmd: string, args: string[]) => ['-c', String(cpu), cmd, ...args];

export function createProcs() {
  const live = new Map<number, ChildProcess>();
  // Set on Ctrl-C: nothing new starts while the run is being torn down.
  let closed = false;
  const refuseWhenClosed = (what: string) => {
    if (closed) throw new Error(`not starting ${what}: the run is stopping`);
  };

  function startPinned(name: string, cpu: number, cmd: string, args: string[], logFile: string): Proc {
    refuseWhenClosed(name);
    const fd = openSync(logFile, 'w');
    const child = spawn('taskset', pinned(cpu, cmd, args), { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
    const pid = child.pid;
    live.set(pid, child);
    let gone = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        gone = true;
        live.delete(pid);
        resolve({ code, signal });
      });
      child.once('error', () => {
        gone = true;
        live.delete(pid);
        resolve({ code: null, signal: null });
      });
    });
    return { name, pid, logFile, exited, hasExited: () => gone };
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  async function stop(proc: Proc, graceMs = 3000): Promise<void> {
    if (proc.hasExited()) return;
    signal(proc.pid, 'SIGTERM');
    const timer = setTimeout(() => signal(proc.pid, 'SIGKILL'), graceMs);
    await proc.exited;
    clearTimeout(timer);
  }

  /** Runs a load generator or client to completion on a CPU, bounded by timeoutMs. */
  function runPinned(cpu: number, cmd: string, args: string[], timeoutMs: number): Promise<ToolResult> {
    refuseWhenClosed(cmd);
    return new Promise((resolve, reject) => {
      const child = spawn('taskset', pinned(cpu, cmd, args), { stdio: ['ignore', 'pipe', 'pipe'] });
      const pid = child.pid;
      if (pid !== undefined) live.set(pid, child);
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const timer = setTimeout(() => {
        timedOut = true;
        if (pid !== undefined) signal(pid, 'SIGKILL');
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        if (pid !== undefined) live.delete(pid);
        reject(err);
      });
      child.once('close', (code, sig) => {
        clearTimeout(timer);
        if (pid !== undefined) live.delete(pid);
        resolve({ code, signal: sig, stdout, stderr, timedOut });
      });
    });
  }

  /** For exit paths that cannot wait: SIGKILL every process still running, by PID. */
  function killAllNow(): void {
    closed = true;
    for (const pid of live.keys()) signal(pid, 'SIGKILL');
    live.clear();
  }

  async function stopAll(graceMs = 2000): Promise<void> {
    closed = true;
    const children = [...live.entries()];
    for (const [pid] of children) signal(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (live.size > 0 && Date.now() < deadline) await sleep(50);
    killAllNow();
  }

  return { startPinned, runPinned, stop, stopAll, killAllNow, count: () => live.size };
}

export type Procs = ReturnType<typeof createProcs>;

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until probe returns a value, failing at the deadline or when the process has exited. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, proc?: Proc): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (proc?.hasExited()) throw new Error(`${proc.name} exited while waiting for ${what}:\n${tail(proc.logFile)}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${proc ? `:\n${tail(proc.logFile)}` : ''}`);
    await sleep(20);
  }
}

export function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '(no output)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User and system CPU time of a process (all its threads), in microseconds. */
export function cpuSplitMicros(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(rest[11]) * 1_000_000) / CLK_TCK, system: (Number(rest[12]) * 1_000_000) / CLK_TCK };
}

/** User + system CPU time of a process (all its threads), in microseconds. */
export function cpuMicros(pid: number): number {
  const { user, system } = cpuSplitMicros(pid);
  return user + system;
}

/** Resident set size in KiB (VmRSS). */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) : 0;
}

export interface CpuTimes {
  /** user + nice + system, µs: what processes ran. */
  task: number;
  /** irq + softirq + steal, µs: the kernel's packet work on loopback lands here. */
  kernel: number;
  total: number;
}

/** Per-CPU times from /proc/stat, to see how busy each CPU was and what else ran on it. */
export function cpuTimes(cpu: number): CpuTimes {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) throw new Error(`no cpu${cpu} in /proc/stat`);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const us = (ticks: number) => (ticks * 1_000_000) / CLK_TCK;
  return { task: us(user + nice + system), kernel: us(irq + softirq + steal), total: us(user + nice + system + idle + iowait + irq + softirq + steal) };
}

/** Share (%) of all CPUs' time spent running tasks over `ms`: between cells, that is other workloads. */
export async function machineBusyPct(ms: number): Promise<number> {
  const read = () => {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
    return { task: user + nice + system + irq + softirq, total: user + nice + system + idle + iowait + irq + softirq + steal };
  };
  const a = read();
  await sleep(ms);
  const b = read();
  return (100 * (b.task - a.task)) / Math.max(1, b.total - a.total);
}

/** CPU time of this process and of its children already reaped (the load generators that ran), µs. */
export function selfAndReapedChildrenMicros(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime: fields 14-17.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(rest[i]), 0);
  return (ticks * 1_000_000) / CLK_TCK;
}
