// `wait-ready`: polls a URL until it answers 200, or fails at the deadline. The legacy sidecar's
// postStart hook runs it in the proxy container: the kubelet starts the app's containers only
// after that hook returns, so the app never starts before the proxy is ready.
import { request } from 'node:http';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { parseFlags, positiveInteger } from './flags.ts';
import { WAIT_READY_USAGE } from './usage.ts';

const CMD = 'wait-ready';
const POLL_MS = 200;

export async function runWaitReady(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(CMD, argv, {
    url: { type: 'string' },
    'timeout-seconds': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    io.out(WAIT_READY_USAGE);
    return 0;
  }
  const text = flags.url ?? 'http://127.0.0.1:15020/ready';
  if (!URL.canParse(text) || new URL(text).protocol !== 'http:') throw new CliError('invalid-flag', `${CMD}: --url must be an http:// URL (got ${JSON.stringify(text)})`);
  const url = new URL(text);
  const deadline = Date.now() + positiveInteger(CMD, 'timeout-seconds', flags['timeout-seconds'], 120) * 1000;
  let last = 'no answer yet';
  for (;;) {
    const answer = await probe(url, Math.max(1, Math.min(1000, deadline - Date.now())));
    if (answer === 200) {
      io.out(`${CMD}: ${url.href} is ready`);
      return 0;
    }
    last = typeof answer === 'number' ? `HTTP ${answer}` : answer;
    if (Date.now() + POLL_MS >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new CliError('refused', `${CMD}: ${url.href} not ready within ${flags['timeout-seconds'] ?? 120} s (last: ${last})`);
}

/** The status code, or why there was none. */
function probe(url: URL, timeoutMs: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}
