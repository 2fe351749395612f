// Finds the app's process for --notify signal:NAME: by pid file, or by name in /proc. Another
// container's processes are visible only when the pod shares one PID namespace
// (shareProcessNamespace: true); when the process is not visible, the error says so.
import { readFile, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SignalTarget } from './parse-args.ts';
import { WatcherError } from './watcher-errors.ts';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** /proc/PID/comm: the executable's name, cut to 15 bytes by the kernel. */
  comm: string;
  argv: string[];
}

const SHARE_HINT = 'the app and the watcher must share a process namespace: set shareProcessNamespace: true in the pod spec';

/**
 * Processes named `name`: by comm, by argv[0]'s base name, or by argv[1]'s (a script run by an
 * interpreter: `node legacy-app.ts`, `python3 app.py`). Of a matching tree only the topmost is
 * kept: nginx's or gunicorn's workers match too, but the master is the one that reloads.
 */
export function planSignalTargets(processes: readonly ProcessInfo[], name: string, self: number): number[] {
  const matches = processes.filter((p) => p.pid !== self && (p.comm === name || (p.argv[0] !== undefined && basename(p.argv[0]) === name) || (p.argv[1] !== undefined && basename(p.argv[1]) === name)));
  const pids = new Set(matches.map((p) => p.pid));
  return matches.filter((p) => !pids.has(p.ppid)).map((p) => p.pid).sort((a, b) => a - b);
}

/** `stat` is `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so split after the last `)`. */
export function parseStatPpid(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

export async function listProcesses(procRoot = '/proc'): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = [];
  for (const entry of await readdir(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const [comm, cmdline, stat] = await Promise.all(['comm', 'cmdline', 'stat'].map((f) => readFile(join(procRoot, entry, f), 'utf8')));
      out.push({ pid: Number(entry), ppid: parseStatPpid(stat as string) ?? 0, comm: (comm as string).trim(), argv: (cmdline as string).split('\0').filter(Boolean) });
    } catch {
      // Exited while we looked, or a kernel thread we may not read: not a candidate.
    }
  }
  return out;
}

async function pidsFromFile(path: string): Promise<number[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist (the app has not written it yet, or the volume holding it is not mounted in the watcher)' : `cannot be read (${code})`;
    throw new WatcherError('process_not_visible', `pid file ${path} ${why}`, { cause: err });
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new WatcherError('process_not_visible', `pid file ${path} does not hold a process id (${JSON.stringify(text.trim().slice(0, 40))})`);
  return [pid];
}

/** The PIDs to signal, or process_not_visible explaining why there are none. */
export async function findSignalTargets(target: SignalTarget, procRoot = '/proc'): Promise<number[]> {
  if (target.kind === 'pid-file') return pidsFromFile(target.path);
  const processes = await listProcesses(procRoot);
  const pids = planSignalTargets(processes, target.name, process.pid);
  if (pids.length === 0) {
    throw new WatcherError('process_not_visible', `no process named "${target.name}" is visible in ${procRoot} (${processes.length} processes visible); ${SHARE_HINT}`);
  }
  return pids;
}

/** Signals each target; a description for the log, or a WatcherError naming the PID and the cause. */
export async function sendSignal(target: SignalTarget, signal: NodeJS.Signals, procRoot = '/proc'): Promise<string> {
  const pids = await findSignalTargets(target, procRoot);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const from = target.kind === 'pid-file' ? ` (from ${target.path})` : '';
      if (code === 'ESRCH') throw new WatcherError('process_not_visible', `process ${pid}${from} is not visible: it has exited, or it runs in another PID namespace; ${SHARE_HINT}`, { cause: err });
      if (code === 'EPERM') throw new WatcherError('notify_failed', `not permitted to send ${signal} to process ${pid}${from}: run the watcher as the app's user, or give it CAP_KILL`, { cause: err });
      throw new WatcherError('notify_failed', `cannot send ${signal} to process ${pid}${from} (${code ?? String(err)})`, { cause: err });
    }
  }
  return `${signal} sent to ${pids.length === 1 ? 'process' : 'processes'} ${pids.join(', ')}`;
}
