// The allocation-free JSON object check agrees with JSON.parse: a table of edge cases, then
// thousands of random mutations of real lines, each compared with what JSON.parse says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanJsonObject } from './scan-json.ts';

function truth(text: string, key?: string): { valid: boolean; empty: boolean; hasKey: boolean } {
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return { valid: false, empty: false, hasKey: false };
    const keys = Object.keys(v);
    return { valid: true, empty: keys.length === 0, hasKey: key !== undefined && Object.hasOwn(v, key) };
  } catch {
    return { valid: false, empty: false, hasKey: false };
  }
}

const cases = [
  '{}', ' { } ', '{"a":1}', '{"a":-0.5e+10,"b":[1,2,{"c":null}],"d":true,"e":false,"f":"x\\"y\\\\z\\u00e9\\n"}', '{"@timestamp":"t"}',
  '{"a":{"@timestamp":1}}', '[]', '[1]', '"s"', '1', 'null', '', ' ', '{', '}', '{"a"}', '{"a":}', '{"a":1,}', '{,"a":1}', '{"a":1}x', '{"a":1} {}',
  '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":-}', '{"a":1e}', '{"a":+1}', '{"a":tru}', '{"a":nul}', '{"a":[1,]}', '{"a":[}', '{"a":{]}', '{"a":"\\x"}',
  '{"a":"\\u12G4"}', '{"a":"\u0001"}', '{"a":"\ud800"}', '{"a":"é😀"}', '{"a" : [ ] , "b" : { } }', '{"a":1\t}', '{"a":[[[[[[1]]]]]]}', "{'a':1}", '{a:1}',
  '\ufeff{}', '{"a":NaN}', '{"a":Infinity}', '{"a":0x10}', '{"a":1}\n',
];

for (const text of cases) {
  test(`scan ${JSON.stringify(text)} as JSON.parse does`, () => {
    assert.deepEqual({ ...scanJsonObject(text, '@timestamp') }, truth(text, '@timestamp'));
  });
}

test('random mutations of access-log lines: always the same verdict as JSON.parse', () => {
  const seedLines = [
    '{"time":"2025-01-02T03:04:05.678Z","direction":"inbound","method":"GET","path":"/a?b=\\"c\\"","response_code":200,"duration_ms":4.127,"error":null,"tls":"mutual","x":[1,-2.5e3,true,false,{}]}',
    '{"@timestamp":"2025","nested":{"a":[{"b":"\\u00e9"}]},"n":0}',
  ];
  const alphabet = '{}[]":,-+.0123456789eEtruefalsn\\ u\t\nabc@';
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  let checked = 0;
  for (let round = 0; round < 20_000; round++) {
    let s = seedLines[rand(seedLines.length)] as string;
    for (let edits = 1 + rand(3); edits > 0; edits--) {
      const at = rand(s.length + 1);
      const op = rand(3);
      const ch = alphabet[rand(alphabet.length)] as string;
      s = op === 0 ? s.slice(0, at) + s.slice(at + 1) : op === 1 ? s.slice(0, at) + ch + s.slice(at) : s.slice(0, at) + ch + s.slice(at + 1);
    }
    for (const key of ['@timestamp', 'time', 'n']) {
      assert.deepEqual({ ...scanJsonObject(s, key) }, truth(s, key), `${JSON.stringify(s)} key ${key}`);
      checked++;
    }
  }
  assert.equal(checked, 60_000);
});
