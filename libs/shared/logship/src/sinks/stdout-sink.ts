// Writes each line to a stream (stdout by default), for `kubectl logs` and node-level collectors.
// A batch is acknowledged once the stream has taken it (its write callback).
import type { Writable } from 'node:stream';
import { markedText } from '../log-line.ts';
import { classifySocketError, describeError } from './classify.ts';
import type { Batch, SendResult, Sink } from './sink.ts';

export class StdoutSink implements Sink {
  readonly kind = 'stdout' as const;
  readonly #out: Writable;

  constructor(out: Writable = process.stdout) {
    this.#out = out;
  }

  send(batch: Batch): Promise<SendResult> {
    let text = '';
    for (const line of batch.lines) text += `${markedText(line)}\n`;
    return new Promise((resolve) => {
      this.#out.write(text, (err) => resolve(err ? { kind: 'retry', reason: classifySocketError(err), detail: describeError(err) } : { kind: 'ok' }));
    });
  }

  async close(): Promise<void> {}
}
