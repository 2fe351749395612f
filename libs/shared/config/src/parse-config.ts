// Text of a config file -> a validated ProxyConfig, or a list of problems that each name the key
// (`listeners[0].tls`) and say what is wrong, with a suggestion for a misspelt key. Pure.
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { proxyConfigSchema, type ProxyConfig } from './schema.ts';

export type ConfigParse = { ok: true; config: ProxyConfig } | { ok: false; problems: string[] };

export function formatKeyPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

/** Levenshtein distance, for "did you mean" suggestions of misspelt keys. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** The known keys at a path of the schema, to suggest the one a typo meant. */
function knownKeys(path: ReadonlyArray<PropertyKey>): string[] {
  let schema: z.ZodType = proxyConfigSchema;
  for (const part of path) {
    schema = unwrap(schema);
    const def = schema._zod.def as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType };
    if (def.type === 'object' && typeof part === 'string' && def.shape?.[part]) schema = def.shape[part];
    else if (def.type === 'array' && typeof part === 'number' && def.element) schema = def.element;
    else return [];
  }
  const def = unwrap(schema)._zod.def as { type: string; shape?: Record<string, unknown> };
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const where = formatKeyPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(issue.path);
    return issue.keys.map((key) => {
      const close = known.filter((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
      const hint = close.length ? ` (did you mean "${close[0]}"?)` : known.length ? ` (known keys: ${known.join(', ')})` : '';
      const at = issue.path.length ? `${where}.${key}` : key;
      return `${at}: unknown key${hint}`;
    });
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return [`${where}: required key is missing`];
  return [`${where}: ${issue.message}`];
}

/** `env` supplies values a pod gets from the downward API (OUTRIGGER_POD_IP). */
export function parseProxyConfig(text: string, env: Readonly<Record<string, string | undefined>> = {}): ConfigParse {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`) };
  }
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) return { ok: false, problems: ['(top level): the config must be a mapping of keys'] };
  const identity = (data as { identity?: Record<string, unknown> }).identity;
  if (identity && typeof identity === 'object' && identity.source === 'ca') {
    identity.namespace ??= env.OUTRIGGER_NAMESPACE;
    identity.serviceAccount ??= env.OUTRIGGER_SERVICE_ACCOUNT;
  }
  const transparent = (data as { transparent?: { inbound?: { podIp?: string } } }).transparent;
  const podIp = env.OUTRIGGER_POD_IP;
  if (podIp && transparent && typeof transparent === 'object' && !transparent.inbound?.podIp) {
    transparent.inbound = { ...(transparent.inbound ?? {}), podIp };
  }
  // reportInput: without it zod leaves `input` out of every issue, and a key present with the wrong
  // type would read as missing (describeIssue tells the two apart by it).
  const result = proxyConfigSchema.safeParse(data, { reportInput: true });
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, problems: result.error.issues.flatMap(describeIssue) };
}
