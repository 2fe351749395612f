import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planSnapshot } from '@outrigger/config';
import { withTempDir } from '@outrigger/testing';
import { loadSchemas } from './load-schemas.ts';
import { parseCandidate, type SchemaCheck } from './parse-candidate.ts';
import { WatcherError } from './watcher-errors.ts';

const snap = (files: Record<string, string>) => planSnapshot(Object.entries(files).map(([n, t]) => [n, Buffer.from(t)] as const));
const problemsOf = (files: Record<string, string>, schemas: SchemaCheck[] = []) => {
  const r = parseCandidate(snap(files), schemas);
  return r.ok ? [] : [r.kind, ...r.problems];
};

test('files are parsed by extension; other files are taken as they are', () => {
  assert.deepEqual(parseCandidate(snap({ 'a.yaml': 'a: 1\n', 'b.yml': '- x\n', 'c.json': '{"c":1}', 'nginx.conf': 'server { listen 80; }', 'multi.yaml': 'a: 1\n---\nb: 2\n' }), []), { ok: true, parsed: 4 });
});

const bad: Array<[string, Record<string, string>, RegExp]> = [
  ['YAML syntax', { 'app.yaml': 'greeting: [unclosed\n' }, /^app\.yaml: YAML syntax: .*line 2/],
  ['a duplicate YAML key', { 'app.yaml': 'a: 1\na: 2\n' }, /^app\.yaml: YAML syntax: Map keys must be unique/],
  ['YAML syntax in the second document', { 'app.yaml': 'a: 1\n---\nb: [\n' }, /^app\.yaml: YAML syntax/],
  ['JSON syntax', { 'app.json': '{"a": 1,}' }, /^app\.json: JSON syntax: /],
];
for (const [name, files, problem] of bad) {
  test(`config_unparsable: ${name}`, () => {
    const [kind, ...problems] = problemsOf(files);
    assert.equal(kind, 'config_unparsable');
    assert.match(problems[0] ?? '', problem);
  });
}

test('schemas: for one file or for all; every document is checked; a schema for a missing file is a violation', () => {
  const requireGreeting: SchemaCheck = { path: 'all.json', validate: (d) => (typeof (d as { greeting?: unknown })?.greeting === 'string' ? [] : ['(top level): required key "greeting" is missing']) };
  const onlyApp: SchemaCheck = { file: 'app.yaml', path: 'app.json', validate: () => ['/x: nope'] };
  assert.deepEqual(problemsOf({ 'a.yaml': 'greeting: hi\n---\nother: 1\n', 'notes.txt': 'free text' }, [requireGreeting]), [
    'schema_violation', 'a.yaml (document 2): (top level): required key "greeting" is missing',
  ]);
  assert.deepEqual(problemsOf({ 'b.yaml': 'greeting: hi\n' }, [onlyApp]), ['schema_violation', 'app.yaml: missing, but app.json is its schema']);
  assert.deepEqual(problemsOf({ 'app.yaml': 'greeting: hi\n' }, [onlyApp]), ['schema_violation', 'app.yaml: /x: nope']);
});

test('loadSchemas: JSON and YAML schema files, draft-07 and 2020-12, with readable problems', () =>
  withTempDir(async (dir) => {
    writeFileSync(join(dir, 'app.schema.json'), JSON.stringify({
      type: 'object', additionalProperties: false, required: ['greeting'],
      properties: { greeting: { type: 'string', minLength: 1 }, mode: { enum: ['a', 'b'] } },
    }));
    writeFileSync(join(dir, 'strict.schema.yaml'), '$schema: https://json-schema.org/draft/2020-12/schema\ntype: object\ndependentRequired: { port: [greeting] }\nproperties:\n  port: { type: integer }\n');
    const schemas = await loadSchemas([{ file: 'app.yaml', path: join(dir, 'app.schema.json') }, { path: join(dir, 'strict.schema.yaml') }]);
    assert.deepEqual(problemsOf({ 'app.yaml': 'greeting: hi\nmode: c\ncolour: red\nport: x\n' }, schemas), [
      'schema_violation',
      'app.yaml: (top level): unknown key "colour"',
      'app.yaml: (top level): unknown key "port"',
      'app.yaml: /mode: must be one of "a", "b"',
      'app.yaml: /port: must be integer',
    ]);
    assert.deepEqual(problemsOf({ 'app.yaml': 'greeting: hi\n' }, schemas), []);
    // dependentRequired exists only from draft 2019-09 on: proof that the 2020-12 validator ran.
    assert.deepEqual(problemsOf({ 'app.yaml': 'greeting: hi\n', 'other.yaml': 'port: 1\n' }, schemas), ['schema_violation', 'other.yaml: (top level): must have property greeting when property port is present']);
  }));

test('loadSchemas refuses a schema it cannot use, naming the file', () =>
  withTempDir(async (dir) => {
    writeFileSync(join(dir, 'bad.json'), '{"type": "no-such-type"}');
    writeFileSync(join(dir, 'broken.json'), '{');
    const kindOf = (p: Promise<unknown>) => p.then(() => 'accepted', (e: WatcherError) => `${e.kind}: ${e.message}`);
    assert.match(await kindOf(loadSchemas([{ path: join(dir, 'bad.json') }])), /^schema_unusable: --schema .*bad\.json: not a valid JSON Schema/);
    assert.match(await kindOf(loadSchemas([{ path: join(dir, 'broken.json') }])), /^schema_unusable: .*broken\.json: does not parse/);
    assert.match(await kindOf(loadSchemas([{ path: join(dir, 'absent.json') }])), /^schema_unusable: .*absent\.json: cannot read it \(ENOENT\)/);
    assert.match(await kindOf(loadSchemas([{ file: 'nginx.conf', path: join(dir, 'bad.json') }])), /^usage: .*only \.yaml, \.yml and \.json/);
  }));
