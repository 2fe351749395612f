// Tells the app its config changed, after the switch: a signal (by pid file or process name), an
// HTTP request to a reload URL, or a command. Each returns a line for the reload log, or throws a
// WatcherError (process_not_visible, notify_failed) naming what failed.
import { sendSignal } from './find-process.ts';
import type { NotifySpec } from './parse-args.ts';
import { renderCommandFailure, runCommand } from './run-command.ts';
import { WatcherError } from './watcher-errors.ts';

export interface NotifyContext {
  dest: string;
  /** The generation just published and its content hash, sent to a reload URL. */
  generation: string;
  hash: string;
  timeoutMs: number;
  procRoot?: string;
}

async function notifyHttp(method: string, url: URL, ctx: NotifyContext): Promise<string> {
  const where = `${method} ${url.protocol}//${url.host}${url.pathname}`;
  let response: Response;
  try {
    const body = method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify({ dest: ctx.dest, generation: ctx.generation, hash: ctx.hash });
    response = await fetch(url, { method, body, headers: body ? { 'content-type': 'application/json' } : {}, signal: AbortSignal.timeout(ctx.timeoutMs) });
    await response.arrayBuffer(); // drain, so the connection is released
  } catch (err) {
    const cause = (err as Error & { cause?: NodeJS.ErrnoException }).cause?.code ?? (err as Error).name;
    throw new WatcherError('notify_failed', `${where} failed (${cause === 'TimeoutError' ? `no answer within ${ctx.timeoutMs} ms` : cause})`, { cause: err });
  }
  if (response.status < 200 || response.status > 299) throw new WatcherError('notify_failed', `${where} answered ${response.status}`);
  return `${where} answered ${response.status}`;
}

async function notifyExec(command: string, ctx: NotifyContext): Promise<string> {
  let result;
  try {
    result = await runCommand(command, ctx.dest, { timeoutMs: ctx.timeoutMs, env: { OUTRIGGER_CONFIG_DIR: ctx.dest } });
  } catch (err) {
    throw new WatcherError('notify_failed', `notify command could not start (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  if (result.code !== 0) throw new WatcherError('notify_failed', `notify command failed: ${renderCommandFailure(result, ctx.timeoutMs)}${result.output ? `: ${result.output}` : ''}`);
  return 'notify command exited 0';
}

export async function applyNotify(spec: NotifySpec, ctx: NotifyContext): Promise<string> {
  switch (spec.kind) {
    case 'signal':
      return sendSignal(spec.target, spec.signal, ctx.procRoot);
    case 'http':
      return notifyHttp(spec.method, spec.url, ctx);
    case 'exec':
      return notifyExec(spec.command, ctx);
  }
}
