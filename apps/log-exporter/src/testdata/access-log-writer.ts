// Access-log lines with a sequence number, written the way the proxy rolls its file
// (docs/reference/access-log.md): append to access.log; at maxBytes rename access.log.N-1 -> .N ...
// access.log -> .1, delete the oldest beyond maxFiles, open a new access.log. For tests and bench.
import { closeSync, existsSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/** A line as the proxy writes it (every field, in order); the seq is in request_id and path. */
export function accessLine(seq: number): string {
  const id = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  return `{"time":"2025-01-02T03:04:05.678Z","direction":"inbound","protocol":"http/1.1","method":"GET","path":"/api/orders?seq=${seq}","authority":"orders.shop.svc.cluster.local:8080","response_code":200,"response_flags":"-","error":null,"bytes_received":0,"bytes_sent":1532,"duration_ms":4.127,"upstream_service_time_ms":3.802,"upstream_host":"127.0.0.1:8080","downstream_remote_address":"10.244.1.5:51234","downstream_local_address":"10.244.2.7:8080","peer_identity":"spiffe://cluster.local/ns/shop/sa/web","tls":"mutual","request_id":"${id}","user_agent":"curl/8.5.0","x_forwarded_for":null}`;
}

export function seqOfLine(line: string): number {
  const m = /"path":"\/api\/orders\?seq=(\d+)"/.exec(line);
  return m ? Number(m[1]) : -1;
}

export class AccessLogWriter {
  readonly path: string;
  readonly maxBytes: number;
  readonly maxFiles: number;
  #fd: number;
  #size = 0;
  rolls = 0;
  written = 0;

  constructor(path: string, maxBytes: number, maxFiles: number) {
    this.path = path;
    this.maxBytes = maxBytes;
    this.maxFiles = maxFiles;
    this.#fd = openSync(path, 'a');
  }

  /** Writes lines [from, from + n) in one write (rolling first if they would not fit). */
  writeLines(from: number, n: number): void {
    let text = '';
    for (let i = from; i < from + n; i++) text += `${accessLine(i)}\n`;
    this.writeText(text);
    this.written += n;
  }

  writeText(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.#size > 0 && this.#size + bytes > this.maxBytes) this.roll();
    writeSync(this.#fd, text);
    this.#size += bytes;
  }

  roll(): void {
    closeSync(this.#fd);
    rmSync(`${this.path}.${this.maxFiles}`, { force: true });
    for (let n = this.maxFiles - 1; n >= 1; n--) if (existsSync(`${this.path}.${n}`)) renameSync(`${this.path}.${n}`, `${this.path}.${n + 1}`);
    renameSync(this.path, `${this.path}.1`);
    this.#fd = openSync(this.path, 'a');
    this.#size = 0;
    this.rolls++;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Writes `total` lines in slices of `slice`, pausing between them like a live proxy; `during(i)` runs between slices. */
export async function writePaced(w: AccessLogWriter, total: number, slice: number, pauseMs: number, during?: (written: number) => Promise<void> | void): Promise<void> {
  for (let i = 0; i < total; i += slice) {
    w.writeLines(i, Math.min(slice, total - i));
    await during?.(w.written);
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}
