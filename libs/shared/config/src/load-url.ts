// One conditional GET of a config URL over HTTP or HTTPS (optionally with a private CA and a client
// certificate): the body of a 200, or "not modified" for a 304, within a deadline and a size limit.
// Failures are SourceErrors. TLS files are read at each request, so a rotated client cert is used.
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseRequestErrorKind, renderSafeUrl } from './plan-http-poll.ts';
import { SourceError } from './source-error.ts';

export interface UrlTlsOptions {
  /** PEM file of the CAs that sign the server's certificate; default Node's bundled roots. */
  caFile?: string;
  /** PEM client certificate and key, for servers that require mutual TLS. */
  certFile?: string;
  keyFile?: string;
  /** The name to verify the server certificate against, when it differs from the URL's host. */
  servername?: string;
}

export interface UrlRequestOptions {
  headers?: Readonly<Record<string, string>>;
  timeoutMs: number;
  maxBytes: number;
  tls?: UrlTlsOptions;
  /** Aborts the request (the watcher closing). */
  signal?: AbortSignal;
}

export type UrlResponse = { status: 200; body: Buffer; headers: IncomingHttpHeaders } | { status: 304; headers: IncomingHttpHeaders };

async function readTlsFile(source: string, what: string, file: string | undefined): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(file);
  } catch (err) {
    throw new SourceError('tls', source, `cannot read the ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

export async function loadUrl(url: URL, opts: UrlRequestOptions): Promise<UrlResponse> {
  const source = renderSafeUrl(url);
  const tls = opts.tls ?? {};
  const [ca, cert, key] = await Promise.all([
    readTlsFile(source, 'CA file', tls.caFile),
    readTlsFile(source, 'client certificate', tls.certFile),
    readTlsFile(source, 'client key', tls.keyFile),
  ]);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<UrlResponse>((resolve, reject) => {
    const fail = (err: unknown) => {
      if (err instanceof SourceError) return reject(err);
      const code = (err as NodeJS.ErrnoException).code;
      const kind = parseRequestErrorKind(code);
      reject(new SourceError(kind, source, `request failed (${code ?? (err as Error).message})`, { cause: err }));
    };
    const req = request(url, {
      method: 'GET',
      headers: { 'user-agent': 'outrigger-config-watcher', accept: '*/*', ...opts.headers },
      agent: false, // one connection per poll: polls are seconds apart, and TLS files may have rotated
      ca, cert, key,
      servername: tls.servername,
      signal: opts.signal,
    });
    // One deadline for the whole exchange: connect, TLS, headers and body.
    const timer = setTimeout(() => req.destroy(new SourceError('timeout', source, `no complete answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status === 304) {
        res.resume();
        res.on('end', () => clearTimeout(timer));
        return resolve({ status: 304, headers: res.headers });
      }
      if (status !== 200) {
        res.resume();
        clearTimeout(timer);
        return reject(new SourceError('http_status', source, `the server answered ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`));
      }
      const declared = Number(res.headers['content-length'] ?? 0);
      const tooLarge = () => new SourceError('too_large', source, `the body is larger than ${opts.maxBytes} bytes`);
      if (declared > opts.maxBytes) return req.destroy(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxBytes) req.destroy(tooLarge());
        else chunks.push(chunk);
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        fail(err);
      });
      res.on('end', () => {
        clearTimeout(timer);
        if (!res.complete) return fail(Object.assign(new Error('the body ended early'), { code: 'ECONNRESET' }));
        resolve({ status: 200, body: Buffer.concat(chunks), headers: res.headers });
      });
    });
    req.end();
  });
}
