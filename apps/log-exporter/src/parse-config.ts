// Text of a config file -> a validated ExporterConfig, or problems that each name the key
// (`sink.confirmBytes`) and say what is wrong, suggesting the key a typo meant. Pure. The approach
// is the proxy's (libs/shared/config/src/parse-config.ts), extended to the sink's tagged union.
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { editDistance, formatKeyPath } from '@outrigger/config';
import { SINK_KINDS } from '@outrigger/logship';
import { exporterConfigSchema, type ExporterConfig } from './config-schema.ts';

export type ConfigParse = { ok: true; config: ExporterConfig } | { ok: false; problems: string[] };

type Def = { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; options?: z.ZodType[]; innerType?: z.ZodType; in?: z.ZodType };
const defOf = (schema: z.ZodType) => schema._zod.def as Def;

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

/** Picks the member of a union whose `kind` literal is the one the data has. */
function pickOption(schema: z.ZodType, data: unknown): z.ZodType {
  const def = defOf(schema);
  if (def.type !== 'union' || !def.options) return schema;
  const kind = (data as { kind?: unknown } | undefined)?.kind;
  for (const option of def.options) {
    const kindSchema = defOf(unwrap(option)).shape?.kind;
    const values = kindSchema ? (defOf(kindSchema) as { values?: unknown[] }).values : undefined;
    if (values?.includes(kind)) return option;
  }
  return schema;
}

/** The known keys at a path, walking the data alongside the schema (to follow the sink's kind). */
function knownKeys(path: ReadonlyArray<PropertyKey>, data: unknown): string[] {
  let schema: z.ZodType = exporterConfigSchema;
  let value = data;
  for (const part of path) {
    schema = unwrap(pickOption(unwrap(schema), value));
    const def = defOf(schema);
    if (def.type === 'object' && typeof part === 'string' && def.shape?.[part]) schema = def.shape[part];
    else if (def.type === 'array' && typeof part === 'number' && def.element) schema = def.element;
    else return [];
    value = (value as Record<PropertyKey, unknown> | undefined)?.[part];
  }
  const def = defOf(unwrap(pickOption(unwrap(schema), value)));
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string[] {
  const where = formatKeyPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(issue.path, data);
    return issue.keys.map((key) => {
      const close = known.filter((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
      const hint = close.length ? ` (did you mean "${close[0]}"?)` : known.length ? ` (known keys: ${known.join(', ')})` : '';
      return `${issue.path.length ? `${where}.${key}` : key}: unknown key${hint}`;
    });
  }
  if (issue.code === 'invalid_union' && where === 'sink.kind') {
    const kind = (data as { sink?: { kind?: unknown } }).sink?.kind;
    return [`sink.kind: ${kind === undefined ? 'required key is missing' : `unknown sink ${JSON.stringify(kind)}`} (one of ${SINK_KINDS.join(', ')})`];
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return [`${where}: required key is missing`];
  return [`${where}: ${issue.message}`];
}

export function parseExporterConfig(text: string): ConfigParse {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { ok: false, problems: doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`) };
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) return { ok: false, problems: ['(top level): the config must be a mapping of keys'] };
  // reportInput: without it a key present with the wrong type would read as missing (see describeIssue).
  const result = exporterConfigSchema.safeParse(data, { reportInput: true });
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, problems: result.error.issues.flatMap((issue) => describeIssue(issue, data)) };
}
