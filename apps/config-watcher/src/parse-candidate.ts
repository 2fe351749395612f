// Is a new config acceptable? Each .yaml/.yml/.json file must parse (YAML: every document, no
// duplicate keys) and match the JSON Schemas that apply to it. Pure; the schemas come compiled
// (load-schemas.ts) and the --validate-cmd runs later, on the staged files.
import { parseAllDocuments } from 'yaml';
import type { ConfigSnapshot } from '@outrigger/config';

export interface SchemaCheck {
  /** The file it applies to; undefined: every YAML/JSON file. */
  file?: string;
  /** Where the schema came from, for messages. */
  path: string;
  /** Problems of one document, each `<key path>: <what is wrong>`; empty when it matches. */
  validate(data: unknown): string[];
}

export type CandidateCheck =
  | { ok: true; parsed: number }
  | { ok: false; kind: 'config_unparsable' | 'schema_violation'; problems: string[] };

export type FileFormat = 'yaml' | 'json' | 'other';

export function parseFormat(name: string): FileFormat {
  const lower = name.toLowerCase();
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.json')) return 'json';
  return 'other';
}

/** The documents of a file, or its syntax problems. */
function parseDocuments(name: string, text: string, format: 'yaml' | 'json'): { docs: unknown[] } | { problems: string[] } {
  if (format === 'json') {
    try {
      return { docs: [JSON.parse(text)] };
    } catch (err) {
      return { problems: [`${name}: JSON syntax: ${(err as Error).message}`] };
    }
  }
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  const list = [...docs]; // an empty stream is an empty array with its own error list
  const errors = 'empty' in docs ? docs.errors : list.flatMap((d) => d.errors);
  const problems = errors.map((e) => `${name}: YAML syntax: ${(e.message.split('\n')[0] ?? '').replace(/:$/, '')}`);
  if (problems.length > 0) return { problems };
  return { docs: list.length > 0 ? list.map((d) => d.toJS() as unknown) : [null] };
}

export function parseCandidate(snapshot: ConfigSnapshot, schemas: readonly SchemaCheck[]): CandidateCheck {
  const syntax: string[] = [];
  const violations: string[] = [];
  let parsed = 0;
  for (const schema of schemas) {
    if (schema.file !== undefined && !snapshot.files.has(schema.file)) violations.push(`${schema.file}: missing, but ${schema.path} is its schema`);
  }
  for (const [name, content] of snapshot.files) {
    const format = parseFormat(name);
    if (format === 'other') continue;
    const result = parseDocuments(name, content.toString('utf8'), format);
    if ('problems' in result) {
      syntax.push(...result.problems);
      continue;
    }
    parsed++;
    const applicable = schemas.filter((s) => s.file === undefined || s.file === name);
    result.docs.forEach((doc, i) => {
      const where = result.docs.length > 1 ? `${name} (document ${i + 1})` : name;
      for (const schema of applicable) violations.push(...schema.validate(doc).map((p) => `${where}: ${p}`));
    });
  }
  // Syntax first: a file that does not parse cannot be checked against its schema anyway.
  if (syntax.length > 0) return { ok: false, kind: 'config_unparsable', problems: syntax };
  if (violations.length > 0) return { ok: false, kind: 'schema_violation', problems: violations };
  return { ok: true, parsed };
}
