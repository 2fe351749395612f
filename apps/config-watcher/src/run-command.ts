// Runs a user's shell command (--validate-cmd, --notify exec:) through /bin/sh with a folder as $1,
// a deadline and the tail of its output kept for the log. On timeout the command's whole process
// group is killed, by the group's own id, so a shell pipeline leaves nothing behind.
import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last 2 KiB of stdout and stderr together, trimmed. */
  output: string;
}

export interface CommandOptions {
  timeoutMs: number;
  env?: Readonly<Record<string, string>>;
  cwd?: string;
}

const KEEP = 2048;

export function runCommand(command: string, folder: string, opts: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command, 'sh', folder], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
      detached: true, // its own process group, so the deadline can end all of it
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-KEEP);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone between the deadline and the kill.
      }
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output: output.trim() });
    });
  });
}

/** `exit 3`, `killed by SIGKILL after the 30000 ms deadline`, for messages. */
export function renderCommandFailure(result: CommandResult, timeoutMs: number): string {
  if (result.timedOut) return `killed after the ${timeoutMs} ms deadline`;
  if (result.signal) return `killed by ${result.signal}`;
  return `exit ${result.code}`;
}
