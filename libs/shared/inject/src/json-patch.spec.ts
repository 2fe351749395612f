// planPatch/applyPatch: applying the diff of a and b to a gives b, for hand-picked shapes and for
// random JSON (seeded, so a failure can be replayed); applyPatch fails where RFC 6902 says it must.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, PatchError, planPatch, pointerSegment, type PatchOperation } from './json-patch.ts';

test('keys with / and ~ are escaped (RFC 6901)', () => {
  assert.equal(pointerSegment('outrigger.io/status'), 'outrigger.io~1status');
  assert.equal(pointerSegment('a~b/c'), 'a~0b~1c');
  const before = { metadata: { annotations: { 'a~b/c': '1' } } };
  const after = { metadata: { annotations: { 'a~b/c': '2', 'outrigger.io/status': '{}' } } };
  const ops = planPatch(before, after);
  assert.deepEqual(ops, [
    { op: 'replace', path: '/metadata/annotations/a~0b~1c', value: '2' },
    { op: 'add', path: '/metadata/annotations/outrigger.io~1status', value: '{}' },
  ]);
  assert.deepEqual(applyPatch(before, ops), after);
});

test('elements inserted at the front are added, the others patched in place', () => {
  const before = { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] };
  const after = { containers: [{ name: 'proxy' }, { name: 'a', image: 'y' }, { name: 'b' }] };
  assert.deepEqual(planPatch(before, after), [
    { op: 'add', path: '/containers/0', value: { name: 'proxy' } },
    { op: 'replace', path: '/containers/1/image', value: 'y' },
  ]);
});

test('equal values give an empty patch; a missing array becomes one add', () => {
  assert.deepEqual(planPatch({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), []);
  assert.deepEqual(planPatch({ spec: {} }, { spec: { volumes: [{ name: 'v' }] } }), [{ op: 'add', path: '/spec/volumes', value: [{ name: 'v' }] }]);
});

test('applyPatch refuses what RFC 6902 refuses, and leaves its input alone', () => {
  const doc = { a: [1, 2], b: { c: 1 } };
  const refused: PatchOperation[][] = [
    [{ op: 'remove', path: '/nope' }],
    [{ op: 'replace', path: '/a/2', value: 0 }],
    [{ op: 'add', path: '/a/3', value: 0 }],
    [{ op: 'add', path: '/x/y', value: 0 }],
    [{ op: 'test', path: '/b/c', value: 2 }],
    [{ op: 'add', path: '/a/01', value: 0 }],
  ];
  for (const ops of refused) assert.throws(() => applyPatch(doc, ops), PatchError, JSON.stringify(ops));
  assert.deepEqual(applyPatch(doc, [{ op: 'add', path: '/a/-', value: 3 }, { op: 'test', path: '/b/c', value: 1 }]), { a: [1, 2, 3], b: { c: 1 } });
  assert.deepEqual(doc, { a: [1, 2], b: { c: 1 } });
});

/** Small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomJson(rand: () => number, depth: number): unknown {
  const pick = rand();
  if (depth <= 0 || pick < 0.3) return [null, true, 0, 1, 'a', 'b/~', ''][Math.floor(rand() * 7)];
  const size = Math.floor(rand() * 4);
  if (pick < 0.65) return Array.from({ length: size }, () => randomJson(rand, depth - 1));
  return Object.fromEntries(Array.from({ length: size }, () => [['x', 'y', 'z/w', '~k'][Math.floor(rand() * 4)] as string, randomJson(rand, depth - 1)]));
}

/** b as a mutation of a (shared parts make the diff interesting), or unrelated. */
function mutate(rand: () => number, value: unknown, depth: number): unknown {
  if (rand() < 0.2) return randomJson(rand, depth);
  if (Array.isArray(value)) {
    const out = value.map((v) => (rand() < 0.5 ? v : mutate(rand, v, depth - 1)));
    if (rand() < 0.4) out.unshift(randomJson(rand, 1));
    if (rand() < 0.3) out.splice(Math.floor(rand() * (out.length + 1)), 1);
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (rand() > 0.2) out[k] = rand() < 0.5 ? v : mutate(rand, v, depth - 1);
    if (rand() < 0.4) out[`n${Math.floor(rand() * 3)}`] = randomJson(rand, 1);
    return out;
  }
  return value;
}

test('property: applyPatch(a, planPatch(a, b)) equals b, for 2000 random pairs', () => {
  for (let seed = 1; seed <= 2000; seed++) {
    const rand = random(seed);
    const a = randomJson(rand, 4);
    const b = mutate(rand, a, 4);
    const ops = planPatch(a, b);
    assert.deepEqual(applyPatch(a, ops), b, `seed ${seed}: ${JSON.stringify(a)} -> ${JSON.stringify(b)} via ${JSON.stringify(ops)}`);
    assert.deepEqual(planPatch(b, b), [], `seed ${seed}: no-op`);
  }
});
