// A request body read whole, up to a limit. Past the limit it stops collecting at once and says so,
// so one oversized request costs a bounded amount of memory and is answered rather than buffered.
// An oversized body is still read (and dropped) to its end, up to DISCARD_FACTOR times the limit,
// before the answer: a server that answers and closes while the client is still sending makes the
// client's next write fail (EPIPE/RST) before it reads the 400 (nginx's lingering close).
import type { IncomingMessage } from 'node:http';

export type BodyRead = { kind: 'ok'; text: string } | { kind: 'too-large' } | { kind: 'aborted' };

/** How much of an oversized body is read and dropped before answering, as a multiple of the limit. */
export const DISCARD_FACTOR = 4;

export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length'] ?? 0);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > maxBytes;
    // Far too large: answer at once (the connection closes after the answer).
    if (declared > maxBytes * DISCARD_FACTOR) return resolve({ kind: 'too-large' });
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes && !tooLarge) return void chunks.push(chunk);
      tooLarge = true;
      chunks.length = 0;
      if (size > maxBytes * DISCARD_FACTOR) resolve({ kind: 'too-large' });
    });
    req.on('end', () => resolve(tooLarge ? { kind: 'too-large' } : { kind: 'ok', text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', () => resolve(tooLarge ? { kind: 'too-large' } : { kind: 'aborted' }));
  });
}
