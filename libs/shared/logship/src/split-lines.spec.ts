// The line splitter: a table of inputs, then the property that chunk boundaries never matter
// (every split point of every case gives the same lines and offsets), truncation and finish().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { charBoundary, emptyOutput, LineSplitter, type SplitOutput } from './split-lines.ts';

function split(chunks: Buffer[], max = 16, offset = 0, finish = false): SplitOutput {
  const s = new LineSplitter(max, offset);
  const out = emptyOutput(offset);
  for (const c of chunks) s.push(c, out);
  if (finish) s.finish(out);
  return out;
}
const view = (out: SplitOutput) => ({ lines: out.lines.map((l) => (l.truncatedFrom === undefined ? l.text : `${l.text}|cut:${l.truncatedFrom}`)), ends: out.ends, end: out.end });

const cases: Array<[name: string, input: string, want: ReturnType<typeof view>]> = [
  ['two lines', 'ab\ncd\n', { lines: ['ab', 'cd'], ends: [3, 6], end: 6 }],
  ['unterminated tail waits', 'ab\ncd', { lines: ['ab'], ends: [3], end: 3 }],
  ['CRLF loses the CR', 'ab\r\ncd\r\n', { lines: ['ab', 'cd'], ends: [4, 8], end: 8 }],
  ['empty lines are skipped but passed over', '\n\nab\n\n', { lines: ['ab'], ends: [5], end: 6 }],
  ['exactly the limit is whole', '0123456789abcdef\n', { lines: ['0123456789abcdef'], ends: [17], end: 17 }],
  ['one byte over is cut and marked', '0123456789abcdefX\nok\n', { lines: ['0123456789abcdef|cut:17', 'ok'], ends: [18, 21], end: 21 }],
  ['a very long line keeps its head only', `${'x'.repeat(100)}\n`, { lines: [`${'x'.repeat(16)}|cut:100`], ends: [101], end: 101 }],
  ['a cut never splits a character', `${'é'.repeat(12)}\n`, { lines: [`${'é'.repeat(8)}|cut:24`], ends: [25], end: 25 }],
  ['a cut before a 4-byte character', `0123456789abcde😀\n`, { lines: ['0123456789abcde|cut:19'], ends: [20], end: 20 }],
  ['UTF-8 text', 'é😀\n', { lines: ['é😀'], ends: [7], end: 7 }],
];

for (const [name, input, want] of cases) {
  test(`split: ${name}`, () => assert.deepEqual(view(split([Buffer.from(input)])), want));
  test(`split at every point gives the same result: ${name}`, () => {
    const bytes = Buffer.from(input);
    for (let i = 0; i <= bytes.length; i++) {
      for (const j of [i, Math.min(bytes.length, i + 1), Math.min(bytes.length, i + 5)]) {
        const chunks = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)];
        assert.deepEqual(view(split(chunks)), want, `split at ${i},${j}`);
      }
    }
  });
}

test('offsets continue from where reading resumed', () => {
  assert.deepEqual(view(split([Buffer.from('ab\ncd\n')], 16, 1000)), { lines: ['ab', 'cd'], ends: [1003, 1006], end: 1006 });
});

test('finish() ships an unterminated tail as a last line, with no terminator counted', () => {
  assert.deepEqual(view(split([Buffer.from('ab\ncd')], 16, 0, true)), { lines: ['ab', 'cd'], ends: [3, 5], end: 5 });
  assert.deepEqual(view(split([Buffer.from('ab\n')], 16, 0, true)), { lines: ['ab'], ends: [3], end: 3 });
  assert.deepEqual(view(split([Buffer.from(`ab\n${'y'.repeat(20)}`)], 16, 0, true)), { lines: ['ab', `${'y'.repeat(16)}|cut:20`], ends: [3, 23], end: 23 });
});

test('memory for a line is bounded by the limit however long it gets', () => {
  const s = new LineSplitter(16);
  const out = emptyOutput(0);
  for (let i = 0; i < 1000; i++) s.push(Buffer.alloc(1024, 0x61), out);
  assert.equal(s.pendingBytes, 1024 * 1000);
  s.push(Buffer.from('\n'), out);
  assert.equal(out.lines[0]?.text, 'a'.repeat(16));
  assert.equal(out.lines[0]?.truncatedFrom, 1024 * 1000);
  assert.equal(out.end, 1024 * 1000 + 1);
});

test('reset() starts over at an offset (a file truncated in place)', () => {
  const s = new LineSplitter(16);
  const out = emptyOutput(0);
  s.push(Buffer.from('ab\ncd'), out);
  s.reset(0);
  s.push(Buffer.from('x\n'), out);
  assert.deepEqual(out.lines.map((l) => l.text), ['ab', 'x']);
  assert.deepEqual(out.ends, [3, 2]);
});

test('charBoundary steps back over a partial character only', () => {
  const b = Buffer.from('aé😀');
  assert.equal(charBoundary(b, 0, 1), 1);
  assert.equal(charBoundary(b, 0, 2), 1);
  assert.equal(charBoundary(b, 0, 3), 3);
  assert.equal(charBoundary(b, 0, 5), 3);
  assert.equal(charBoundary(b, 0, 7), 7);
});

test('a non-positive limit is refused', () => {
  assert.throws(() => new LineSplitter(0), RangeError);
});
