// A stand-in for the Kubernetes API server's TokenReview endpoint (authentication.k8s.io/v1), on
// loopback HTTPS, answering as the API reference documents; no real API server can run here.
// Each token under review maps to an answer; every request is recorded for assertions.
import { readFileSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createCa, issueLeaf } from '@outrigger/pki';

export type FakeReviewAnswer =
  | { user: string; audiences: string[] } // authenticated as user, status.audiences as given
  | { rejected: string } // status.authenticated false, status.error as given
  | { httpStatus: number } // an error answer: a metav1.Status with that code
  | { raw: string } // a 201 with this body, whatever it is
  | { stall: true }; // never answer

export interface ReceivedReview {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

export interface FakeTokenReview {
  /** https://127.0.0.1:PORT */
  url: string;
  /** The CA file that verifies this server (as the kube CA file a Pod gets). */
  caFile: string;
  /** A file holding the caller's own ServiceAccount token, which the fake requires as bearer. */
  tokenFile: string;
  callerToken: string;
  requests: ReceivedReview[];
  answers: Map<string, FakeReviewAnswer>;
  close(): Promise<void>;
}

export async function startFakeTokenReview(dir: string, answers: Record<string, FakeReviewAnswer> = {}): Promise<FakeTokenReview> {
  const ca = createCa({ trustDomain: 'cluster.local', commonName: 'fake kubernetes' });
  const serving = issueLeaf({ ca, identity: { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'kubernetes' }, ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] });
  const caFile = join(dir, 'kube-ca.crt');
  const tokenFile = join(dir, 'signer-token');
  const callerToken = 'signer-own-sa-token';
  writeFileSync(caFile, ca.certPem);
  writeFileSync(tokenFile, `${callerToken}\n`);
  const table = new Map(Object.entries(answers));
  const requests: ReceivedReview[] = [];
  const stalled = new Set<ServerResponse>();

  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      const send = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(typeof value === 'string' ? value : JSON.stringify(value));
      const status = (code: number, reason: string, message: string) => send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
      if (req.method !== 'POST' || req.url !== '/apis/authentication.k8s.io/v1/tokenreviews') return status(404, 'NotFound', 'the server could not find the requested resource');
      const bearer = readCallerToken(tokenFile);
      if (req.headers.authorization !== `Bearer ${bearer}`) return status(401, 'Unauthorized', 'Unauthorized');
      const spec = (body as { spec?: { token?: string; audiences?: string[] } } | undefined)?.spec;
      const answer = table.get(spec?.token ?? '') ?? { rejected: '[invalid bearer token, token lookup failed]' };
      const review = (st: object) => ({ kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: st });
      if ('stall' in answer) return void stalled.add(res);
      if ('httpStatus' in answer) return status(answer.httpStatus, 'InternalError', `fake API error ${answer.httpStatus}`);
      if ('raw' in answer) return send(201, answer.raw);
      if ('rejected' in answer) return send(201, review({ user: {}, error: answer.rejected }));
      const [, ns, sa] = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(answer.user) ?? [];
      const user = { username: answer.user, uid: 'b3a6c1e2-0000-4000-8000-000000000001', groups: ns && sa ? ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] : ['system:authenticated'] };
      send(201, review({ authenticated: true, user, audiences: answer.audiences }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile,
    tokenFile,
    callerToken,
    requests,
    answers: table,
    async close() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readCallerToken(file: string): string {
  // Re-read per request, so a test can rotate the caller's token by rewriting the file.
  return readFileSync(file, 'utf8').trim();
}
