// Seeded, bounded fuzzing of the byte parsers that see untrusted input first: the ClientHello
// parser and the protocol sniffer get random and mutated inputs; they must answer one of their
// three states and never throw. Reproduce a failure with FUZZ_SEED=<seed printed>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClientHello } from './client-hello.ts';
import { sniffProtocol } from './sniff-protocol.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 20_000);

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hellos = ['hello-node-mesh', 'hello-openssl', 'hello-curl', 'hello-openssl-tls12-nosni'].map((n) =>
  Buffer.from(readFileSync(join(import.meta.dirname, 'testdata', `${n}.hex`), 'utf8').trim(), 'hex'),
);
const http = [Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'), Buffer.from('POST /x HTTP/1.0\r\ncontent-length: 3\r\n\r\nabc')];

function mutate(random: () => number, seed: Buffer): Buffer {
  const out = Buffer.from(seed.subarray(0, Math.max(1, Math.floor(random() * (seed.length + 1)))));
  const edits = 1 + Math.floor(random() * 8);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * out.length);
    const kind = random();
    if (kind < 0.5) out[at] = Math.floor(random() * 256);
    else if (kind < 0.75) out[at] = (out[at] as number) ^ (1 << Math.floor(random() * 8));
    else out[at] = [0x00, 0xff, 0x16, 0x03, 0x20, 0x0a][Math.floor(random() * 6)] as number;
  }
  return out;
}

function randomBytes(random: () => number): Buffer {
  const out = Buffer.alloc(Math.floor(random() * 600));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256);
  if (random() < 0.3 && out.length > 2) [out[0], out[1]] = [0x16, 0x03]; // looks like a TLS record
  return out;
}

test(`fuzz: parseClientHello answers found | not-tls | need-more for ${ROUNDS} inputs (seed ${SEED})`, () => {
  const random = prng(SEED);
  const seen = new Set<string>();
  for (let i = 0; i < ROUNDS; i++) {
    const input = i % 2 ? mutate(random, hellos[i % hellos.length] as Buffer) : randomBytes(random);
    let kind: string;
    try {
      kind = parseClientHello(input).kind;
    } catch (err) {
      assert.fail(`round ${i} (seed ${SEED}) threw on ${input.toString('hex')}: ${(err as Error).message}`);
    }
    assert.ok(['found', 'not-tls', 'need-more'].includes(kind));
    seen.add(kind);
  }
  assert.deepEqual([...seen].sort(), ['found', 'need-more', 'not-tls'], 'the inputs reach all three states');
});

test(`fuzz: sniffProtocol answers one of its states for ${ROUNDS} inputs (seed ${SEED})`, () => {
  const random = prng(SEED + 1);
  const seen = new Set<string>();
  for (let i = 0; i < ROUNDS; i++) {
    const input = i % 2 ? mutate(random, http[i % http.length] as Buffer) : randomBytes(random);
    let kind: string;
    try {
      kind = sniffProtocol(input);
    } catch (err) {
      assert.fail(`round ${i} (seed ${SEED}) threw on ${input.toString('hex')}: ${(err as Error).message}`);
    }
    assert.ok(['http1', 'h2', 'opaque', 'need-more'].includes(kind));
    seen.add(kind);
  }
  assert.ok(seen.has('http1') && seen.has('opaque') && seen.has('need-more'));
});
