// Reads the --schema files (JSON or YAML) and compiles them with Ajv, once at start: a schema that
// cannot be used stops the watcher before it could wave a bad config through.
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { parseFormat, type SchemaCheck } from './parse-candidate.ts';
import type { SchemaSpec } from './parse-args.ts';
import { WatcherError } from './watcher-errors.ts';

/** `/server/port: must be integer`, `(top level): unknown key "colour"`. */
export function renderSchemaError(e: ErrorObject): string {
  const where = e.instancePath || '(top level)';
  if (e.keyword === 'additionalProperties') return `${where}: unknown key "${String(e.params.additionalProperty)}"`;
  if (e.keyword === 'required') return `${where}: required key "${String(e.params.missingProperty)}" is missing`;
  if (e.keyword === 'enum') return `${where}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where}: ${e.message ?? e.keyword}`;
}

function compile(schema: unknown, path: string): ValidateFunction {
  const uri = (schema as { $schema?: unknown } | null)?.$schema;
  // Draft 2020-12 needs its own Ajv class; draft-07 (the default, and what most tools emit) the classic one.
  const ajv = typeof uri === 'string' && uri.includes('2020-12') ? new Ajv2020({ allErrors: true, strict: false }) : new Ajv({ allErrors: true, strict: false });
  try {
    return ajv.compile(schema as object);
  } catch (err) {
    throw new WatcherError('schema_unusable', `--schema ${path}: not a valid JSON Schema: ${(err as Error).message}`, { cause: err });
  }
}

export async function loadSchemas(specs: readonly SchemaSpec[]): Promise<SchemaCheck[]> {
  const checks: SchemaCheck[] = [];
  for (const spec of specs) {
    if (spec.file !== undefined && parseFormat(spec.file) === 'other') {
      throw new WatcherError('usage', `--schema ${spec.file}=${spec.path}: only .yaml, .yml and .json files are checked against a schema`);
    }
    let text: string;
    try {
      text = await readFile(spec.path, 'utf8');
    } catch (err) {
      throw new WatcherError('schema_unusable', `--schema ${spec.path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
    let schema: unknown;
    try {
      schema = parseFormat(spec.path) === 'yaml' ? parseYaml(text) : JSON.parse(text);
    } catch (err) {
      throw new WatcherError('schema_unusable', `--schema ${spec.path}: does not parse: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
    const validate = compile(schema, spec.path);
    checks.push({
      file: spec.file,
      path: spec.path,
      validate: (data) => (validate(data) ? [] : (validate.errors ?? []).map(renderSchemaError)),
    });
  }
  return checks;
}
