// A local HTTP endpoint that takes NDJSON batches as an aggregator would, with a switchable answer
// (ok, 503 with Retry-After, 400...) and a log of every request. For integration tests and bench.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly at: number;
  readonly status: number;
  readonly lines: string[];
}

export interface NdjsonServer {
  readonly port: number;
  /** Decides the status (and headers) of each request; default 200. */
  answer: (lines: string[]) => { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };
  /** Keep the lines of taken requests (2xx); off for the memory test, which only counts. */
  keepLines: boolean;
  readonly requests: Received[];
  /** Lines of requests answered 2xx. */
  taken: string[];
  takenCount: number;
  close(): Promise<void>;
}

export async function startNdjsonServer(port = 0): Promise<NdjsonServer> {
  const state = {
    answer: (_lines: string[]) => ({ status: 200 }) as { status: number; headers?: Record<string, string>; body?: string; delayMs?: number },
    keepLines: true,
    requests: [] as Received[],
    taken: [] as string[],
    takenCount: 0,
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const lines = Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
      const { status, headers, body, delayMs } = state.answer(lines);
      const reply = () => {
        if (status >= 200 && status < 300) {
          state.takenCount += lines.length;
          if (state.keepLines) for (const l of lines) state.taken.push(l);
        }
        state.requests.push({ at: Date.now(), status, lines: state.keepLines ? lines : [] });
        res.writeHead(status, headers).end(body ?? '');
      };
      if (delayMs) setTimeout(reply, delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return Object.assign(state, {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
