// How `init` runs iptables: one small interface, so unit tests can stand in for the kernel and the
// real runner stays a thin wrapper over spawn.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export interface CommandResult {
  /** Exit status; 128 + n when a signal ended the command, as a shell reports it. */
  status: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  /** Resolves with the result whatever the status; rejects when the command cannot start (ENOENT). */
  run(cmd: string, args: readonly string[], input?: string): Promise<CommandResult>;
}

export const processRunner: CommandRunner = {
  run(cmd, args, input) {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.stdin.on('error', () => {}); // EPIPE when the command exits before reading its input
      child.once('error', reject);
      child.once('close', (code, signal) => {
        resolve({
          status: code ?? 128 + (signal === null ? 0 : constants.signals[signal]),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
      child.stdin.end(input ?? '');
    });
  },
};
